import { expect, type Page } from '@playwright/test'
import { expectProfilePage } from './profile.ts'

/** The heading and the button of `/welcome`, which someone new meets after the silent leg. */
export const WELCOME = '使用微信头像昵称'

/**
 * Someone new opens a page that needs a session: the silent snsapi_base leg brings them to
 * `/welcome`, whose 「使用微信头像昵称」 tap opens the emulator's consent sheet.
 */
export async function toConsentSheet(page: Page, path = '/profile'): Promise<void> {
  await page.goto(path)
  await expect(page.getByRole('heading', { name: WELCOME })).toBeVisible()
  await page.getByRole('button', { name: WELCOME }).click()
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
}

/** Someone new signs in through `/welcome` and 允许, landing on the profile. */
export async function signInWithConsent(page: Page, nickname?: string): Promise<void> {
  await toConsentSheet(page)
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page, nickname)
}
