import { expect, test, type Page } from '@playwright/test'
import { APP_URL, EMULATOR_URL } from './ports.ts'
import { emulator } from './emulator.ts'
import { DESKTOP_CHROME } from './qr.ts'
import { forgetSiteUsers } from './site.ts'
import { expectProfilePage } from './profile.ts'
import { toConsentSheet, WELCOME } from './sign-in.ts'

test.beforeEach(async () => {
  await Promise.all([emulator.reset(), forgetSiteUsers()])
})

/**
 * Opens the profile as someone new and taps 允许 on the emulator's consent sheet. `beforeAllow`
 * runs on the sheet: a fault meant for the consented code's exchange is set there, after the
 * silent snsapi_base leg has had its own exchange.
 */
async function consent(page: Page, beforeAllow: () => Promise<unknown> = async () => {}) {
  await toConsentSheet(page)
  await beforeAllow()
  await page.getByRole('button', { name: '允许' }).click()
}

async function expectErrorPage(page: Page, title: string, message: string) {
  await expect(page.getByRole('heading', { name: title })).toBeVisible()
  await expect(page.getByTestId('error-message')).toHaveText(message)
  // The address bar is clean after any failure.
  expect(page.url()).toBe(`${APP_URL}/auth/callback`)
}

/** The emulator's log from entry `from` on, as `endpoint` or `authorize scope`. */
async function callsSince(from: number): Promise<string[]> {
  return (await emulator.log())
    .slice(from)
    .map((e) => (e.endpoint === 'authorize' ? `authorize ${e.query.scope}` : e.endpoint))
}

const exchanges = async () =>
  (await emulator.log()).filter((e) => e.endpoint === 'access_token').length

test.describe('a code WeChat refuses is replaced once, automatically', () => {
  for (const [name, errcode] of [
    ['invalid code (40029)', 40029],
    ['expired code (42003)', 42003],
    ['busy (-1), which burns the code', -1],
  ] as const) {
    test(`${name}: one fresh authorization, then the user is signed in`, async ({ page }) => {
      let before = 0
      await consent(page, async () => {
        await emulator.fault({ endpoint: 'access_token', errcode })
        before = (await emulator.log()).length
      })
      // The app went back to WeChat by itself for a fresh code: snsapi_userinfo again, which
      // WeChat grants without the sheet, the 允许 just given being remembered.
      await expectProfilePage(page)
      expect(page.url()).toBe(`${APP_URL}/profile`)
      expect(await callsSince(before)).toEqual([
        'confirm',
        'access_token',
        'authorize snsapi_userinfo',
        'access_token',
        'userinfo',
      ])
    })
  }

  test('a second failure in a row ends on the error page, not a loop', async ({ page }) => {
    let before = 0
    await consent(page, async () => {
      await emulator.fault({ endpoint: 'access_token', errcode: 40029, times: 2 })
      before = (await emulator.log()).length
    })
    await expectErrorPage(page, '授权已过期', '微信授权已失效或已过期，请重新登录。')
    expect(await callsSince(before)).toEqual([
      'confirm',
      'access_token',
      'authorize snsapi_userinfo',
      'access_token',
    ])
    // A tap on 重新登录 is a new user action: WeChat again, and this time it works (silently
    // first, then the remembered consent, so no sheet).
    before = (await emulator.log()).length
    await page.getByRole('button', { name: '重新登录' }).click()
    await expectProfilePage(page)
    expect(await callsSince(before)).toEqual([
      'authorize snsapi_base',
      'access_token',
      'authorize snsapi_userinfo',
      'access_token',
      'userinfo',
    ])
  })
})

test.describe('on the silent snsapi_base leg', () => {
  test('a refused code is replaced once, silently, and someone new then meets /welcome', async ({
    page,
  }) => {
    await emulator.fault({ endpoint: 'access_token', errcode: 40029 })
    await page.goto('/profile')
    await expect(page.getByRole('heading', { name: WELCOME })).toBeVisible()
    expect(await callsSince(0)).toEqual([
      'authorize snsapi_base',
      'access_token',
      'authorize snsapi_base',
      'access_token',
    ])
  })

  test('an HTTP 502 from WeChat ends on a clear page, before any consent sheet', async ({
    page,
  }) => {
    await emulator.fault({ endpoint: 'access_token', status: 502 })
    await page.goto('/profile')
    await expectErrorPage(page, '无法连接微信', '暂时无法连接微信服务器，请稍后重试。')
    expect(await callsSince(0)).toEqual(['authorize snsapi_base', 'access_token'])
  })
})

test('the same callback arriving twice signs in once and never shows 40163', async ({ page }) => {
  let callbackUrl = ''
  page.on('request', (request) => {
    if (request.url().startsWith(`${APP_URL}/auth/callback?code=`)) callbackUrl = request.url()
  })
  await consent(page)
  await expectProfilePage(page)
  // The consented code's callback, the last one (the silent leg's came first).
  expect(callbackUrl).toMatch(/code=[0-9A-Za-z]{32}&state=[0-9a-f]{64}$/)
  const before = await exchanges()
  expect(before).toBe(2)

  // WeChat calling back twice, or Back/refresh replaying the callback URL.
  await page.goto(callbackUrl)
  await expectProfilePage(page)
  expect(page.url()).toBe(`${APP_URL}/profile`)
  expect(await exchanges()).toBe(before)
})

test('a state this browser did not issue exchanges nothing and explains', async ({ page }) => {
  await page.goto('/auth/callback?code=0123456789abcdefABCDEF0123456789&state=forgedState123')
  await expectErrorPage(
    page,
    '登录已失效',
    '这次登录不是从本页面发起的，或已超过 10 分钟。为保护你的账号，请重新登录。',
  )
  expect(await exchanges()).toBe(0)
})

test('a tampered state on the way back is refused', async ({ page }) => {
  // The consent sheet asks the emulator where to send the user; change the state in that answer.
  await page.route(`${EMULATOR_URL}/connect/oauth2/authorize/confirm`, async (route) => {
    const response = await route.fetch()
    const { redirect } = (await response.json()) as { redirect: string }
    const tampered = new URL(redirect)
    tampered.searchParams.set('state', 'tampered0000')
    await route.fulfill({ response, json: { redirect: tampered.href } })
  })
  let before = 0
  await consent(page, async () => (before = await exchanges()))
  await expectErrorPage(
    page,
    '登录已失效',
    '这次登录不是从本页面发起的，或已超过 10 分钟。为保护你的账号，请重新登录。',
  )
  expect(await exchanges()).toBe(before)
})

test('a snapshot-page user gets guidance and no session', async ({ page }) => {
  await emulator.nextUser('snapshot')
  await page.goto('/')
  await page.getByRole('link', { name: '微信授权登录' }).click()
  await expectErrorPage(
    page,
    '请使用完整服务',
    '你正在浏览朋友圈快照页，无法登录。请点击屏幕底部的「使用完整服务」后再试。',
  )
  const cookies = await page.context().cookies(APP_URL)
  expect(cookies.find((c) => c.name === 'wx_session')).toBeUndefined()
  await expect(page.getByRole('button', { name: '重新登录' })).toHaveCount(0)
})

for (const [name, fault, title, message] of [
  [
    'a timeout on userinfo',
    { endpoint: 'userinfo', delayMs: 4000 },
    '无法连接微信',
    '暂时无法连接微信服务器，请稍后重试。',
  ],
  [
    'an HTTP 502 from WeChat',
    { endpoint: 'access_token', status: 502 },
    '无法连接微信',
    '暂时无法连接微信服务器，请稍后重试。',
  ],
  [
    'a truncated body',
    { endpoint: 'access_token', body: '{"access_token":"83_abc","expi' },
    '无法连接微信',
    '暂时无法连接微信服务器，请稍后重试。',
  ],
  [
    'a wrong AppSecret (40125)',
    { endpoint: 'access_token', errcode: 40125 },
    '服务配置有误',
    '服务暂时无法登录，请联系公众号管理员。',
  ],
  [
    'the rate limit (45011)',
    { endpoint: 'access_token', errcode: 45011 },
    '请求太频繁',
    '登录的人太多了，请一分钟后重试。',
  ],
  [
    'a grant without the profile (48001)',
    { endpoint: 'userinfo', errcode: 48001 },
    '未获得资料权限',
    '这次授权没有包含昵称和头像，请重新授权。',
  ],
  [
    'a rejected token on userinfo (40014)',
    { endpoint: 'userinfo', errcode: 40014 },
    '微信拒绝了登录',
    '微信没有通过这次登录，请重新登录。',
  ],
] as const) {
  test(`${name} ends on a clear page`, async ({ page }) => {
    await consent(page, () => emulator.fault(fault))
    await expectErrorPage(page, title, message)
    expect(await page.content()).not.toMatch(/errcode|stack|at \w+ \(/)
  })
}

test.describe('outside WeChat', () => {
  test.use({ userAgent: DESKTOP_CHROME })

  test('a desktop browser gets the QR sign-in page instead of a trip to WeChat', async ({
    page,
  }) => {
    await page.goto('/profile')
    await expect(page.getByRole('heading', { name: '微信扫码登录' })).toBeVisible()
    const qr = page.getByRole('img', { name: '登录二维码' })
    await expect(qr).toHaveAttribute('src', /^data:image\/svg\+xml,/)
    await expect(qr).toHaveAttribute('data-url', new RegExp(`^${APP_URL}/qr/[A-Za-z0-9_-]{22}$`))
    expect((await emulator.log()).filter((e) => e.endpoint === 'authorize')).toEqual([])

    // Against the emulator, development may continue; WeChat itself then refuses the browser.
    await page.getByRole('button', { name: '在此浏览器中继续（仅限开发环境）' }).click()
    await expect(page.getByText('请在微信客户端打开链接')).toBeVisible()
  })

  test('a QR sign-in code opened in a desktop browser asks for WeChat', async ({ page }) => {
    await page.goto('/qr/AAAAAAAAAAAAAAAAAAAAAA')
    await expect(page.getByRole('heading', { name: '请在微信中打开' })).toBeVisible()
    const qr = page.getByRole('img', { name: '当前页面的二维码' })
    await expect(qr).toHaveAttribute('src', /^data:image\/svg\+xml,/)
    await expect(
      page.getByText(`${APP_URL}/qr/AAAAAAAAAAAAAAAAAAAAAA`, { exact: true }),
    ).toBeVisible()
  })
})
