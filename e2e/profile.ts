import { expect, type Page } from '@playwright/test'

/**
 * The app's profile page is on screen. A nickname alone is not enough: the callback page
 * draws the profile's head before the app has arrived (src/auth/early-profile.ts), while
 * the address bar still holds the code; the ids are the app's page only.
 */
export async function expectProfilePage(page: Page, nickname?: string): Promise<void> {
  await expect(page.getByTestId('openid')).toBeVisible()
  const name = page.getByTestId('nickname')
  if (nickname === undefined) await expect(name).toBeVisible()
  else await expect(name).toHaveText(nickname)
}
