import { expect, type Page } from '@playwright/test'

/** The profile page is on screen, with the given nickname when one is named. */
export async function expectProfilePage(page: Page, nickname?: string): Promise<void> {
  await expect(page.getByTestId('openid')).toBeVisible()
  const name = page.getByTestId('nickname')
  if (nickname === undefined) await expect(name).toBeVisible()
  else await expect(name).toHaveText(nickname)
}
