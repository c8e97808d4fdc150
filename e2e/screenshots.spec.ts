import { fileURLToPath } from 'node:url'
import { expect, test, type Page } from '@playwright/test'
import { emulator } from './emulator.ts'
import { forgetSiteUsers } from './site.ts'
import { expectProfilePage } from './profile.ts'
import { ageRequest, desktop, DESKTOP_CHROME, scan, showCode } from './qr.ts'
import { toConsentSheet, WELCOME } from './sign-in.ts'

/** The README's pictures: every state on a phone, light and dark, each checked for what it says. */
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

async function users(): Promise<{ id: string; nickname: string }[]> {
  return (await fetch(`${emulator.url}/__emulator/users`)).json()
}

/** At CSS pixels: a quarter of the 2x screen's pixels, still sharp enough for a README. */
async function snap(page: Page, name: string | null) {
  if (!name) return
  await page.evaluate(() => document.fonts.ready)
  await page.screenshot({
    path: `${SCREENSHOTS}${name}.png`,
    scale: 'css',
    animations: 'disabled',
    caret: 'hide',
  })
}

async function expectAvatarLoaded(page: Page) {
  const avatar = page.locator('img.avatar')
  await expect(avatar).toHaveJSProperty('complete', true)
  expect(await avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
}

test.beforeEach(async () => {
  await Promise.all([emulator.reset(), forgetSiteUsers()])
})

// The emulator's consent sheet has no dark style, so it is photographed once.
const CONSENT = { light: 'consent-light', dark: null }

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`${scheme} mode`, () => {
    test.use({ colorScheme: scheme })

    test('home', async ({ page }) => {
      await page.goto('/')
      await expect(page.getByRole('heading', { name: '微信登录' })).toBeVisible()
      await expect(page.getByRole('link', { name: '微信授权登录' })).toBeVisible()
      await expect(page.getByRole('button', { name: '简体' })).toHaveAttribute(
        'aria-pressed',
        'true',
      )
      await expect(page).toHaveTitle('微信登录')
      await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN')
      await snap(page, `home-${scheme}`)
    })

    test('welcome, consent, signing in, and the profile', async ({ page }) => {
      const emoji = (await users()).find((user) => user.id === 'emoji')
      await emulator.nextUser('emoji')

      // Someone new, back from the silent leg: what the profile is for, and the tap.
      await page.goto('/profile')
      await expect(page.getByRole('heading', { name: WELCOME })).toBeVisible()
      await expect(page.getByRole('button', { name: WELCOME })).toBeVisible()
      await expect(page.getByRole('link', { name: '暂不使用' })).toBeVisible()
      await expect(page).toHaveTitle(WELCOME)
      await snap(page, `welcome-${scheme}`)

      await page.getByRole('button', { name: WELCOME }).click()
      await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
      await snap(page, CONSENT[scheme])

      // The consented code's exchange waits until the signing-in page has been photographed.
      let release = () => {}
      const held = new Promise<void>((resolve) => (release = resolve))
      await page.route('**/api/auth/wechat', async (route) => {
        await held
        await route.continue()
      })

      await page.getByRole('button', { name: '允许' }).click()
      await expect(page.getByRole('heading', { name: '正在登录…' })).toBeVisible()
      await expect(page).toHaveTitle('正在登录')
      await snap(page, `signing-in-${scheme}`)

      release()
      await expectProfilePage(page, emoji!.nickname)
      await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible()
      await expect(page).toHaveTitle('我的资料')
      await expectAvatarLoaded(page)
      await snap(page, `profile-${scheme}`)
    })

    test('declined', async ({ page }) => {
      await toConsentSheet(page)
      await page.getByRole('button', { name: '拒绝' }).click()
      await expect(page.getByRole('heading', { name: '你已拒绝授权' })).toBeVisible()
      await expect(page.getByRole('button', { name: '重新登录' })).toBeVisible()
      await expect(page.getByRole('link', { name: '返回首页' })).toBeVisible()
      await expect(page).toHaveTitle('你已拒绝授权')
      await snap(page, `declined-${scheme}`)
    })

    test('a service error', async ({ page }) => {
      await toConsentSheet(page)
      await emulator.fault({ endpoint: 'access_token', errcode: 40125 })
      await page.getByRole('button', { name: '允许' }).click()
      await expect(page.getByRole('heading', { name: '服务配置有误' })).toBeVisible()
      await expect(page.getByTestId('error-message')).toHaveText(
        '服务暂时无法登录，请联系公众号管理员。',
      )
      await expect(page.getByText('如问题持续，请联系公众号管理员。')).toBeVisible()
      await expect(page.getByRole('button', { name: '重新登录' })).toHaveCount(0)
      await expect(page).toHaveTitle('服务配置有误')
      await snap(page, `error-${scheme}`)
    })

    test('a computer signing in by scanning, and the phone asked to confirm', async ({
      browser,
      page: phone,
    }) => {
      const computerContext = await desktop(browser, {
        colorScheme: scheme,
        viewport: { width: 960, height: 640 },
      })
      const computer = await computerContext.newPage()
      const { url, id } = await showCode(computer)
      await expect(computer.getByRole('img', { name: '登录二维码' })).toHaveJSProperty(
        'complete',
        true,
      )
      await expect(computer).toHaveTitle('微信扫码登录')
      await snap(computer, `qr-computer-waiting-${scheme}`)

      await scan(phone, url)
      await expect(phone.getByTestId('qr-warning')).toBeVisible()
      await expect(phone).toHaveTitle('确认电脑登录')
      await snap(phone, `qr-confirm-${scheme}`)
      await expect(computer.getByTestId('qr-status')).toHaveText('扫码成功')
      await snap(computer, `qr-computer-scanned-${scheme}`)

      await ageRequest(id)
      await expect(computer.getByTestId('qr-status')).toHaveText('二维码已失效')
      await expect(computer.getByRole('button', { name: '刷新二维码' })).toBeVisible()
      await snap(computer, `qr-computer-expired-${scheme}`)
      await computerContext.close()
    })

    test.describe('outside WeChat', () => {
      test.use({ userAgent: DESKTOP_CHROME })

      test('not in WeChat, with a QR code', async ({ page }) => {
        await page.goto('/qr/AAAAAAAAAAAAAAAAAAAAAA')
        await expect(page.getByRole('heading', { name: '请在微信中打开' })).toBeVisible()
        const qr = page.getByRole('img', { name: '当前页面的二维码' })
        await expect(qr).toHaveAttribute('src', /^data:image\/svg\+xml,/)
        await expect(qr).toHaveJSProperty('complete', true)
        await expect(page.getByRole('button', { name: '复制链接' })).toBeVisible()
        await expect(page).toHaveTitle('请在微信中打开')
        await snap(page, `not-in-wechat-${scheme}`)
      })
    })
  })
}

test('in English: chosen in the footer, remembered, and asked of WeChat', async ({ page }) => {
  const normal = (await users()).find((user) => user.id === 'normal')
  await emulator.nextUser('normal')
  await page.goto('/')
  await page.getByRole('button', { name: 'English' }).click()
  await expect(page.getByRole('heading', { name: 'WeChat sign-in' })).toBeVisible()
  await expect(page).toHaveTitle('WeChat sign-in')
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')

  await page.getByRole('link', { name: 'Sign in with WeChat' }).click()
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page, normal!.nickname)
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible()
  await expect(page.getByText('Not provided by WeChat').first()).toBeVisible()
  await expect(page).toHaveTitle('My profile')
  const userinfo = (await emulator.log()).filter((entry) => entry.endpoint === 'userinfo')
  expect(userinfo.map((entry) => entry.query.lang)).toEqual(['en'])
  await expectAvatarLoaded(page)
  await snap(page, 'profile-en-light')

  await page.reload()
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible()
})
