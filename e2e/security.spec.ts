import { expect, test } from '@playwright/test'
import { APP_URL } from './ports.ts'
import { emulator } from './emulator.ts'
import { forgetSiteUsers } from './site.ts'
import { expectProfilePage } from './profile.ts'
import { toConsentSheet } from './sign-in.ts'

test.beforeEach(async () => {
  await Promise.all([emulator.reset(), forgetSiteUsers()])
})

test('pages carry the security headers and the app works under them', async ({ page }) => {
  const violations: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text())
  })
  const response = await page.goto('/')
  const headers = response?.headers() ?? {}
  expect(headers['content-security-policy']).toContain("script-src 'self'")
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'")
  // Avatars are the site's copies: no WeChat host may serve an image.
  expect(headers['content-security-policy']).toMatch(/(^|;\s*)img-src 'self' data:(;|$)/)
  expect(headers['content-security-policy']).not.toContain('qlogo')
  expect(headers['x-content-type-options']).toBe('nosniff')
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin')
  expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')

  await emulator.nextUser('normal')
  await page.getByRole('link', { name: '微信授权登录' }).click()
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)
  const avatar = page.locator('img.avatar')
  await expect(avatar).toHaveAttribute('src', /^\/api\/avatar\//)
  await expect(avatar).toHaveJSProperty('complete', true)
  expect(await avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
  expect(violations).toEqual([])
})

test('a nickname full of HTML and script renders as inert text', async ({ page }) => {
  const users = (await (await fetch(`${emulator.url}/__emulator/users`)).json()) as {
    id: string
    nickname: string
  }[]
  const html = users.find((u) => u.id === 'html')
  expect(html?.nickname).toContain('<script>')
  let dialogs = 0
  page.on('dialog', async (dialog) => {
    dialogs++
    await dialog.dismiss()
  })
  await emulator.nextUser('html')
  await toConsentSheet(page)
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page, html!.nickname)
  await expect(page.locator('[data-testid=nickname] *')).toHaveCount(0)
  expect(dialogs).toBe(0)
})

test('the API answers with no-store and never a token', async ({ request }) => {
  const response = await request.get(`${APP_URL}/api/session`)
  expect(response.status()).toBe(401)
  expect(response.headers()['cache-control']).toBe('no-store')
  expect(await response.json()).toEqual({
    error: { code: 'not_signed_in', message: 'not signed in' },
  })
})
