import { expect, test } from '@playwright/test'
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

test('on a slow link, shows whom the sign-in answered for before the app has arrived', async ({
  page,
}) => {
  await emulator.nextUser('emoji')
  const users = (await (await fetch(`${EMULATOR_URL}/__emulator/users`)).json()) as {
    id: string
    nickname: string
  }[]
  const nickname = users.find((u) => u.id === 'emoji')!.nickname
  // Every set of headings the page shows, in order, from its first byte ('' for none).
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { headings: string[] }).headings = seen
    new MutationObserver(() => {
      const text = [...document.querySelectorAll('h1')].map((h) => h.textContent?.trim()).join('|')
      if (text !== seen.at(-1)) seen.push(text)
    }).observe(document, { childList: true, subtree: true, characterData: true })
  })
  await page.goto('/profile')
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible()

  // The app's code is held back, as a slow link would; the callback page's own script is not.
  let release = () => {}
  const appArrives = new Promise<void>((resolve) => (release = resolve))
  await page.route(/\/assets\/index-[\w-]+\.js$/, async (route) => {
    await appArrives
    await route.continue()
  })
  await page.getByRole('button', { name: '允许' }).click()
  await expect(page.getByTestId('nickname')).toHaveText(nickname)
  expect(page.url()).toMatch(/\/auth\/callback\?code=/)
  await expect(page.getByTestId('openid')).toHaveCount(0)

  release()
  await expectProfilePage(page, nickname)
  expect(page.url()).toBe(`${APP_URL}/profile`)
  // From 正在登录… to the head, then the app's page under the same head: never back.
  const headings = await page.evaluate(() => (window as unknown as { headings: string[] }).headings)
  expect(headings.slice(headings.indexOf('正在登录…'))).toEqual(['正在登录…', nickname])
  // One sign-in, the early script's: the app took its answer.
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
