import { expect, test } from '@playwright/test'
import { WECHAT_ANDROID_PHONE } from '../playwright.config.ts'
import { APP_URL, EMULATOR_URL } from './ports.ts'
import { emulator, type LogEntry } from './emulator.ts'
import { expectProfilePage } from './profile.ts'
import { signInWithConsent, toConsentSheet } from './sign-in.ts'
import { forgetSiteUsers } from './site.ts'

const AUTHORIZE = `${EMULATOR_URL}/connect/oauth2/authorize`

/** The emulator's log from entry `from` on, as `endpoint` or `endpoint scope`. */
async function callsSince(from: number): Promise<string[]> {
  return (await emulator.log())
    .slice(from)
    .map((e: LogEntry) => (e.endpoint === 'authorize' ? `authorize ${e.query.scope}` : e.endpoint))
}

test.beforeEach(async () => {
  await Promise.all([emulator.reset(), forgetSiteUsers()])
})

test('signs in through WeChat consent and shows the chosen profile', async ({ page }) => {
  await emulator.nextUser('emoji')
  const users = (await (await fetch(`${EMULATOR_URL}/__emulator/users`)).json()) as {
    id: string
    nickname: string
  }[]
  const emoji = users.find((u) => u.id === 'emoji')
  expect(emoji).toBeDefined()

  await page.goto('/')
  await expect(page.getByRole('heading', { name: '微信登录' })).toBeVisible()
  await page.getByRole('link', { name: '微信授权登录' }).click()

  // Step 1: WeChat's authorize URL, parameters in WeChat's order. The tap first asks for
  // snsapi_base, silently; someone new is then sent on to the consent sheet with no second tap.
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
  expect(page.url().startsWith(AUTHORIZE)).toBe(true)
  const authorize = new URL(page.url())
  expect([...authorize.searchParams.keys()]).toEqual([
    'appid',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
  ])
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${APP_URL}/auth/callback`)
  expect(authorize.searchParams.get('scope')).toBe('snsapi_userinfo')
  expect(authorize.hash).toBe('#wechat_redirect')
  const asked = (await emulator.log()).filter((e) => e.endpoint === 'authorize')
  expect(asked.map((e) => e.query.scope)).toEqual(['snsapi_base', 'snsapi_userinfo'])
  for (const entry of asked) {
    expect(Object.keys(entry.query)).toEqual([
      'appid',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
    ])
  }

  await page.getByRole('button', { name: '允许' }).click()

  await expectProfilePage(page, emoji!.nickname)
  // No code or state left in the address bar.
  expect(page.url()).toBe(`${APP_URL}/profile`)
  // The site's copy of the avatar, never WeChat's URL (which dies with a new picture).
  const avatar = page.getByRole('img', { name: `${emoji!.nickname}的头像` })
  await expect(avatar).toHaveAttribute('src', /^\/api\/avatar\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  await expect(avatar).toHaveJSProperty('complete', true)
  expect(await avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
  await expect(page.getByTestId('openid')).toHaveText(/^o[A-Za-z0-9_-]{27}$/)
  await expect(page.getByTestId('unionid')).toHaveText(/^o[A-Za-z0-9_-]{27}$/)

  // Server to WeChat: the silent code's exchange, then the consented one's and its userinfo.
  expect(await callsSince(0)).toEqual([
    'authorize snsapi_base',
    'access_token',
    'authorize snsapi_userinfo',
    'confirm',
    'access_token',
    'userinfo',
  ])
})

test('the callback page takes the code off the URL, shows 正在登录… and sends one request', async ({
  page,
}) => {
  const api: string[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/api/')) api.push(`${request.method()} ${url.pathname}`)
  })
  await toConsentSheet(page)
  // The silent leg's own sign-in request (answered 422 profile_required) is behind us.
  expect(api).toEqual(['POST /api/auth/wechat'])
  api.length = 0
  const before = (await emulator.log()).length

  // The sign-in's answer is held back, as a slow link would.
  let release = () => {}
  const answered = new Promise<void>((resolve) => (release = resolve))
  await page.route(`${APP_URL}/api/auth/wechat`, async (route) => {
    await answered
    await route.continue()
  })
  await page.getByRole('button', { name: '允许' }).click()
  await expect(page.getByRole('heading', { name: '正在登录…' })).toBeVisible()
  await expect(page).toHaveURL(`${APP_URL}/auth/callback`)

  release()
  await expectProfilePage(page)
  expect(page.url()).toBe(`${APP_URL}/profile`)
  // The JS-SDK's signature for the share card and the avatar are not part of the sign-in.
  const signIn = api.filter(
    (request) =>
      !request.endsWith('/api/wechat/jssdk-config') && !request.startsWith('GET /api/avatar/'),
  )
  expect(signIn).toEqual(['POST /api/auth/wechat'])
  expect((await callsSince(before)).filter((call) => call === 'access_token')).toHaveLength(1)
})

test('Back never returns to the authorize page, and reload stays signed in', async ({ page }) => {
  await page.goto('/')
  await signInWithConsent(page)

  await page.goBack()
  await page.waitForLoadState()
  expect(page.url()).not.toContain(EMULATOR_URL)
  expect(page.url()).not.toContain('code=')

  await page.goto('/profile')
  const authorizeCalls = (await emulator.log()).filter((e) => e.endpoint === 'authorize').length
  await page.reload()
  await expectProfilePage(page)
  expect(page.url()).toBe(`${APP_URL}/profile`)
  const after = (await emulator.log()).filter((e) => e.endpoint === 'authorize').length
  expect(after).toBe(authorizeCalls)
})

test('signs out, and the next visit to the profile goes through WeChat again, silently', async ({
  page,
}) => {
  await signInWithConsent(page)

  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page).toHaveURL(`${APP_URL}/`)
  const cookies = await page.context().cookies(APP_URL)
  expect(cookies.find((c) => c.name === 'wx_session')).toBeUndefined()

  // The site knows this person: a snsapi_base code signs them in, with no consent sheet.
  const before = (await emulator.log()).length
  await page.goto('/profile')
  await expectProfilePage(page, '微信用户小明')
  expect(page.url()).toBe(`${APP_URL}/profile`)
  expect(await callsSince(before)).toEqual(['authorize snsapi_base', 'access_token'])
  const again = (await page.context().cookies(APP_URL)).find((c) => c.name === 'wx_session')
  expect(again).toBeDefined()
})

test('a copy of the cookie made before 退出登录 is refused afterwards', async ({
  page,
  browser,
}) => {
  await signInWithConsent(page)
  const copy = (await page.context().cookies(APP_URL)).find((c) => c.name === 'wx_session')
  expect(copy).toBeDefined()

  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page).toHaveURL(`${APP_URL}/`)

  const thief = await browser.newContext()
  try {
    await thief.addCookies([copy!])
    const session = await thief.request.get(`${APP_URL}/api/session`)
    expect(session.status()).toBe(401)
    expect(await session.json()).toEqual({
      error: { code: 'not_signed_in', message: 'not signed in' },
    })
    const refresh = await thief.request.post(`${APP_URL}/api/session/refresh`)
    expect(refresh.status()).toBe(401)
  } finally {
    await thief.close()
  }
})

test('退出所有设备 on one phone signs the other out too', async ({ page, browser }) => {
  const other = await browser.newContext({ ...WECHAT_ANDROID_PHONE, baseURL: APP_URL })
  try {
    const second = await other.newPage()
    await signInWithConsent(page, '微信用户小明')
    // The second phone's sign-in is silent: the site knows the person by now.
    const first = (await emulator.log()).length
    await second.goto('/profile')
    await expectProfilePage(second, '微信用户小明')
    expect(await callsSince(first)).toEqual(['authorize snsapi_base', 'access_token'])
    const session = async () =>
      (await other.cookies(APP_URL)).find((c) => c.name === 'wx_session')?.value
    const ended = await session()

    await page.getByRole('button', { name: '退出所有设备' }).click()
    await expect(page).toHaveURL(`${APP_URL}/`)
    expect((await other.request.get(`${APP_URL}/api/session`)).status()).toBe(401)

    // The other phone's next visit finds its session ended and goes through WeChat again:
    // silently, and into a new session.
    const before = (await emulator.log()).length
    await second.reload()
    await expectProfilePage(second, '微信用户小明')
    expect(await callsSince(before)).toEqual(['authorize snsapi_base', 'access_token'])
    expect(await session()).not.toBe(ended)
  } finally {
    await other.close()
  }
})

test('the session cookie is HttpOnly and the page never sees a token', async ({ page }) => {
  const bodies: string[] = []
  page.on('response', async (response) => {
    if (response.url().startsWith(`${APP_URL}/api/`))
      bodies.push(await response.text().catch(() => ''))
  })
  await signInWithConsent(page)

  const session = (await page.context().cookies(APP_URL)).find((c) => c.name === 'wx_session')
  expect(session?.httpOnly).toBe(true)
  expect(session?.sameSite).toBe('Lax')
  expect(await page.evaluate(() => document.cookie)).toBe('')
  expect(bodies.length).toBeGreaterThan(0)
  for (const body of bodies) expect(body).not.toMatch(/access_token|refresh_token|83_/)
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))
  expect(storage).not.toMatch(/83_|access_token/)
})

test('refusing consent shows 你已拒绝授权 with a retry, and no automatic redirect', async ({
  page,
}) => {
  await toConsentSheet(page)
  await page.getByRole('button', { name: '拒绝' }).click()
  await expect(page.getByRole('heading', { name: '你已拒绝授权' })).toBeVisible()
  expect(page.url()).toBe(`${APP_URL}/auth/callback`)
  const before = (await emulator.log()).length
  await page.getByRole('button', { name: '重新登录' }).click()
  // 重新登录 is a tap: silently first, then, someone new still, the consent sheet at once.
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
  expect(await callsSince(before)).toEqual([
    'authorize snsapi_base',
    'access_token',
    'authorize snsapi_userinfo',
  ])
})

test('刷新资料 re-reads the profile through the stored grant, with no trip to WeChat', async ({
  page,
}) => {
  await signInWithConsent(page)
  const before = (await emulator.log()).length

  await page.getByRole('button', { name: '刷新资料' }).click()
  await expect(page.getByTestId('refresh-note')).toHaveText('资料已更新')
  const calls = (await emulator.log()).slice(before).map((e) => e.endpoint)
  expect(calls).toEqual(['auth', 'userinfo'])
  expect(page.url()).toBe(`${APP_URL}/profile`)
})

test('刷新资料 with a grant WeChat no longer honours asks for a fresh authorization', async ({
  page,
}) => {
  await signInWithConsent(page)

  await emulator.fault({ endpoint: 'auth', errcode: 42001 })
  await emulator.fault({ endpoint: 'refresh_token', errcode: 40030 })
  const before = (await emulator.log()).length
  await page.getByRole('button', { name: '刷新资料' }).click()
  // A fresh snsapi_userinfo authorization, which WeChat grants without the sheet: the
  // consent is remembered for 30 days.
  await expect
    .poll(() => callsSince(before))
    .toEqual(['auth', 'refresh_token', 'authorize snsapi_userinfo', 'access_token', 'userinfo'])
  await expect(page.getByRole('button', { name: '允许' })).toHaveCount(0)
  await expectProfilePage(page)
  await expect(page).toHaveURL(`${APP_URL}/profile`)
})

test('刷新资料 with a dead grant shows the consent sheet again once the consent is withdrawn', async ({
  page,
}) => {
  await signInWithConsent(page)

  await emulator.forgetConsents()
  await emulator.fault({ endpoint: 'auth', errcode: 42001 })
  await emulator.fault({ endpoint: 'refresh_token', errcode: 40030 })
  await page.getByRole('button', { name: '刷新资料' }).click()
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)
  expect(page.url()).toBe(`${APP_URL}/profile`)
})
