import { expect, test } from '@playwright/test'
import { WECHAT_ANDROID_PHONE } from '../playwright.config.ts'
import { APP_URL, EMULATOR_URL } from './ports.ts'
import { emulator, serveAvatarsFromEmulator } from './emulator.ts'
import { expectProfilePage } from './profile.ts'

const AUTHORIZE = `${EMULATOR_URL}/connect/oauth2/authorize`

test.beforeEach(async ({ page }) => {
  await emulator.reset()
  await serveAvatarsFromEmulator(page)
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

  // Step 1: WeChat's authorize URL, parameters in WeChat's order.
  await page.waitForURL((url) => url.href.startsWith(AUTHORIZE))
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

  await page.getByRole('button', { name: '允许' }).click()

  await expectProfilePage(page, emoji!.nickname)
  // No code or state left in the address bar.
  expect(page.url()).toBe(`${APP_URL}/profile`)
  const avatar = page.getByRole('img', { name: `${emoji!.nickname}的头像` })
  await expect(avatar).toHaveAttribute('src', /^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/.+\/132$/)
  expect(await avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
  await expect(page.getByTestId('openid')).toHaveText(/^o[A-Za-z0-9_-]{27}$/)
  await expect(page.getByTestId('unionid')).toHaveText(/^o[A-Za-z0-9_-]{27}$/)

  // Steps 4 and 5 happened once each, server to WeChat.
  const log = await emulator.log()
  expect(log.filter((e) => e.endpoint === 'access_token')).toHaveLength(1)
  expect(log.filter((e) => e.endpoint === 'userinfo')).toHaveLength(1)
})

test('the callback page takes the code off the URL, shows 正在登录… and sends one request', async ({
  page,
}) => {
  const api: string[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/api/')) api.push(`${request.method()} ${url.pathname}`)
  })
  await page.goto('/profile')
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()

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
  // The JS-SDK's signature for the share card is not part of the sign-in.
  expect(api.filter((request) => !request.endsWith('/api/wechat/jssdk-config'))).toEqual([
    'POST /api/auth/wechat',
  ])
  const log = await emulator.log()
  expect(log.filter((e) => e.endpoint === 'access_token')).toHaveLength(1)
})

test('Back never returns to the authorize page, and reload stays signed in', async ({ page }) => {
  await page.goto('/')
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)

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

test('signs out, and the next visit to the profile goes through WeChat again', async ({ page }) => {
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)

  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page).toHaveURL(`${APP_URL}/`)
  const cookies = await page.context().cookies(APP_URL)
  expect(cookies.find((c) => c.name === 'wx_session')).toBeUndefined()

  await page.goto('/profile')
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
  expect(page.url().startsWith(AUTHORIZE)).toBe(true)
})

test('a copy of the cookie made before 退出登录 is refused afterwards', async ({
  page,
  browser,
}) => {
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)
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
    await serveAvatarsFromEmulator(second)
    for (const phone of [page, second]) {
      await phone.goto('/profile')
      await phone.getByRole('button', { name: '允许' }).click()
      await expectProfilePage(phone, '微信用户小明')
    }

    await page.getByRole('button', { name: '退出所有设备' }).click()
    await expect(page).toHaveURL(`${APP_URL}/`)

    // The other phone's next visit finds its session ended and goes through WeChat again.
    await second.reload()
    await expect(second.getByRole('button', { name: '允许' })).toBeVisible()
    expect(second.url().startsWith(AUTHORIZE)).toBe(true)
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
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)

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
  await page.goto('/profile')
  await page.getByRole('button', { name: '拒绝' }).click()
  await expect(page.getByRole('heading', { name: '你已拒绝授权' })).toBeVisible()
  expect(page.url()).toBe(`${APP_URL}/auth/callback`)
  await page.getByRole('button', { name: '重新登录' }).click()
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()
})

test('刷新资料 re-reads the profile through the stored grant, with no trip to WeChat', async ({
  page,
}) => {
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)
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
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)

  await emulator.fault({ endpoint: 'auth', errcode: 42001 })
  await emulator.fault({ endpoint: 'refresh_token', errcode: 40030 })
  await page.getByRole('button', { name: '刷新资料' }).click()
  await page.getByRole('button', { name: '允许' }).click()
  await expectProfilePage(page)
  expect(page.url()).toBe(`${APP_URL}/profile`)
})
