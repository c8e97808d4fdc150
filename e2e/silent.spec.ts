import { expect, test, type Page, type Request } from '@playwright/test'
import { WECHAT_ANDROID_PHONE } from '../playwright.config.ts'
import { emulator } from './emulator.ts'
import { APP_URL, EMULATOR_URL } from './ports.ts'
import { expectProfilePage } from './profile.ts'
import { signInWithConsent, WELCOME } from './sign-in.ts'
import { forgetSiteAvatars, forgetSiteUsers, siteHasAvatarCopy } from './site.ts'

/**
 * Silent sign-in first (issue 16, wechat-behaviour.md §7): snsapi_base, which never shows a
 * page, signs in someone the site knows; only someone new is asked, on their own tap.
 */

test.beforeEach(async () => {
  await Promise.all([emulator.reset(), forgetSiteUsers()])
})

/** The emulator's log from entry `from` on, as `endpoint` or `authorize scope`. */
async function callsSince(from: number): Promise<string[]> {
  return (await emulator.log())
    .slice(from)
    .map((e) => (e.endpoint === 'authorize' ? `authorize ${e.query.scope}` : e.endpoint))
}

const logLength = async () => (await emulator.log()).length

interface SignIn {
  body: Record<string, unknown>
  status: number | null
}

/** The sign-in requests the page sends from now on: each one's body and answer status. */
function watchSignIns(page: Page) {
  const sent: SignIn[] = []
  const pending: Promise<void>[] = []
  page.on('request', (request: Request) => {
    if (request.method() !== 'POST' || !request.url().startsWith(`${APP_URL}/api/auth/wechat`))
      return
    const entry: SignIn = { body: request.postDataJSON() as Record<string, unknown>, status: null }
    sent.push(entry)
    pending.push(
      request.response().then((response) => {
        entry.status = response?.status() ?? null
      }),
    )
  })
  return {
    sent,
    settled: async () => {
      await Promise.all(pending)
      return sent
    },
  }
}

/** Every URL the page's main frame showed from now on. */
function watchUrls(page: Page): string[] {
  const urls: string[] = []
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) urls.push(frame.url())
  })
  return urls
}

const sessionCookie = async (page: Page) =>
  (await page.context().cookies(APP_URL)).find((c) => c.name === 'wx_session')

test('someone who consented once is signed in silently after clearing cookies and storage', async ({
  page,
}) => {
  await signInWithConsent(page, '微信用户小明')

  await page.context().clearCookies()
  await page.evaluate(() => {
    localStorage.clear()
    sessionStorage.clear()
  })
  const before = await logLength()
  const signIns = watchSignIns(page)
  const urls = watchUrls(page)

  await page.goto('/profile')
  await expectProfilePage(page, '微信用户小明')
  expect(page.url()).toBe(`${APP_URL}/profile`)
  expect(await sessionCookie(page)).toBeDefined()
  // One snsapi_base authorization, one exchange, no userinfo, no consent sheet.
  expect(await callsSince(before)).toEqual(['authorize snsapi_base', 'access_token'])
  const sent = await signIns.settled()
  expect(sent).toHaveLength(1)
  expect(sent[0]).toMatchObject({ body: { silent: true }, status: 200 })
  expect(urls.some((url) => url.includes('/welcome'))).toBe(false)
  await expect(page.getByRole('button', { name: '允许' })).toHaveCount(0)
})

test('someone new is told what the profile is for before WeChat asks, and asked on their tap', async ({
  page,
}) => {
  const signIns = watchSignIns(page)
  await page.goto('/profile')
  await expect(page.getByRole('heading', { name: WELCOME })).toBeVisible()
  await expect(page.getByText('微信登录用你的微信头像和昵称生成你的资料页。')).toBeVisible()
  await expect(page.getByText(/我们只读取头像、昵称和地区/)).toBeVisible()
  await expect(page.getByRole('button', { name: WELCOME })).toBeVisible()
  await expect(page).toHaveURL(new RegExp(`^${APP_URL}/welcome`))

  // Nothing asked of WeChat beyond the openid; no sheet, no session.
  await expect(page.getByRole('button', { name: '允许' })).toHaveCount(0)
  expect(await callsSince(0)).toEqual(['authorize snsapi_base', 'access_token'])
  const sent = await signIns.settled()
  expect(sent).toHaveLength(1)
  expect(sent[0]).toMatchObject({ body: { silent: true }, status: 422 })
  expect(await sessionCookie(page)).toBeUndefined()

  const before = await logLength()
  await page.getByRole('button', { name: WELCOME }).click()
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
  expect(page.url().startsWith(`${EMULATOR_URL}/connect/oauth2/authorize?`)).toBe(true)
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page, '微信用户小明')
  expect(page.url()).toBe(`${APP_URL}/profile`)
  expect(await callsSince(before)).toEqual([
    'authorize snsapi_userinfo',
    'confirm',
    'access_token',
    'userinfo',
  ])
  const consented = (await signIns.settled()).slice(1)
  expect(consented).toHaveLength(1)
  expect(consented[0]!.body.silent).toBeUndefined()
  expect(consented[0]!.status).toBe(200)
})

test('someone new who taps 暂不使用 goes home, and WeChat is not asked again', async ({ page }) => {
  await page.goto('/profile')
  await expect(page.getByRole('heading', { name: WELCOME })).toBeVisible()
  const before = await logLength()
  await page.getByRole('link', { name: '暂不使用' }).click()
  await expect(page).toHaveURL(`${APP_URL}/`)
  await expect(page.getByRole('heading', { name: '微信登录' })).toBeVisible()
  expect(await callsSince(before)).toEqual([])
  expect(await sessionCookie(page)).toBeUndefined()
})

test('微信授权登录 on the home page takes someone new to the consent sheet with no second tap', async ({
  page,
}) => {
  await page.goto('/')
  const urls = watchUrls(page)
  const signIns = watchSignIns(page)
  await page.getByRole('link', { name: '微信授权登录' }).click()
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
  expect(await callsSince(0)).toEqual([
    'authorize snsapi_base',
    'access_token',
    'authorize snsapi_userinfo',
  ])
  expect(urls.some((url) => url.includes('/welcome'))).toBe(false)
  const sent = await signIns.settled()
  expect(sent.map(({ body, status }) => [body.silent, status])).toEqual([[true, 422]])

  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page, '微信用户小明')
  expect(page.url()).toBe(`${APP_URL}/profile`)
})

test('微信授权登录 signs someone the site knows in silently', async ({ page }) => {
  await signInWithConsent(page)
  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page).toHaveURL(`${APP_URL}/`)

  const before = await logLength()
  await page.getByRole('link', { name: '微信授权登录' }).click()
  await expectProfilePage(page, '微信用户小明')
  expect(await callsSince(before)).toEqual(['authorize snsapi_base', 'access_token'])
})

test('someone whose WeChat avatar changed still sees a picture: the site’s copy', async ({
  page,
  browser,
}) => {
  await forgetSiteAvatars()
  await signInWithConsent(page, '微信用户小明')
  const avatar = page.locator('img.avatar')
  const src = (await avatar.getAttribute('src')) ?? ''
  expect(src).toMatch(/^\/api\/avatar\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  // The key names the WeChat URL it copies (base64url, then its MAC).
  const wechatUrl = Buffer.from(
    src.slice('/api/avatar/'.length).split('.')[0]!,
    'base64url',
  ).toString()
  expect(wechatUrl).toMatch(/^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/.+\/132$/)

  // The copy is made after the sign-in's answer (and after the avatar's own).
  await expect.poll(async () => (await page.request.get(src)).status()).toBe(200)
  await expect.poll(() => siteHasAvatarCopy(wechatUrl)).toBe(true)

  const { previous, headimgurl } = await emulator.changeAvatar('normal')
  expect(headimgurl).not.toBe(previous)
  const { pathname } = new URL(wechatUrl)
  expect((await fetch(`${EMULATOR_URL}${pathname}`)).status).toBe(404)

  // A new browser: the silent sign-in keeps the stored profile, old avatar URL and all.
  const fresh = await browser.newContext({ ...WECHAT_ANDROID_PHONE, baseURL: APP_URL })
  try {
    const later = await fresh.newPage()
    const before = await logLength()
    await later.goto('/profile')
    await expectProfilePage(later, '微信用户小明')
    expect(await callsSince(before)).toEqual(['authorize snsapi_base', 'access_token'])
    const shown = later.locator('img.avatar')
    await expect(shown).toHaveAttribute('src', /^\/api\/avatar\//)
    const shownUrl = Buffer.from(
      ((await shown.getAttribute('src')) ?? '').slice('/api/avatar/'.length).split('.')[0]!,
      'base64url',
    ).toString()
    expect(shownUrl).toBe(wechatUrl)
    await expect(shown).toHaveJSProperty('complete', true)
    expect(await shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
  } finally {
    await fresh.close()
  }
})

test('a guarded link opened from Moments asks for snsapi_base, never meets the snapshot page, and a snapshot identity gets no session', async ({
  page,
}) => {
  await emulator.nextUser('snapshot')
  const signIns = watchSignIns(page)
  await page.goto('/profile')
  // snsapi_base: no snapshot page, no virtual identity; someone new is asked on a tap.
  await expect(page.getByRole('heading', { name: WELCOME })).toBeVisible()
  const log = await emulator.log()
  expect(
    log.map((e) => (e.endpoint === 'authorize' ? `authorize ${e.query.scope}` : e.endpoint)),
  ).toEqual(['authorize snsapi_base', 'access_token'])
  expect((await signIns.settled()).map(({ body, status }) => [body.silent, status])).toEqual([
    [true, 422],
  ])

  // Were WeChat to answer the tap's snsapi_userinfo with a snapshot identity, no one is signed in.
  await page.getByRole('button', { name: WELCOME }).click()
  await expect(page.getByRole('heading', { name: '请使用完整服务' })).toBeVisible()
  expect(await sessionCookie(page)).toBeUndefined()
  await expect(page.getByRole('button', { name: '允许' })).toHaveCount(0)
})
