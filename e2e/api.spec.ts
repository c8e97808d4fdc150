import { expect, test, type APIRequestContext, type BrowserContext } from '@playwright/test'
import { stateForVerifier } from '../contract/index.ts'
import { EMULATOR_APPID } from '../emulator/defaults.ts'
import { WECHAT_ANDROID_UA } from '../playwright.config.ts'
import { emulator } from './emulator.ts'
import { APP_URL, EMULATOR_URL } from './ports.ts'

/**
 * The API of the built site as `netlify serve` answers it (the bundled functions, Netlify's
 * routing and redirects), driven without the SPA.
 */

test.beforeEach(async () => {
  await emulator.reset()
})

/** A verifier as the SPA keeps one; each call a different browser's. */
function newVerifier(): string {
  return `E2e${crypto.randomUUID().replaceAll('-', '')}`.padEnd(43, '0')
}

/**
 * The code WeChat sends back to a browser that asked with `state`, as 允许 on the emulator's
 * consent sheet would.
 */
async function mintCode(state: string, user = 'normal'): Promise<string> {
  const query = [
    ['appid', EMULATOR_APPID],
    ['redirect_uri', `${APP_URL}/auth/callback`],
    ['response_type', 'code'],
    ['scope', 'snsapi_userinfo'],
    ['state', state],
  ]
    .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
    .join('&')
  const response = await fetch(`${EMULATOR_URL}/connect/oauth2/authorize/confirm`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': WECHAT_ANDROID_UA },
    body: JSON.stringify({ query, user, decision: 'allow' }),
  })
  expect(response.status).toBe(200)
  const redirect = new URL(((await response.json()) as { redirect: string }).redirect)
  expect(redirect.searchParams.get('state')).toBe(state)
  return redirect.searchParams.get('code')!
}

const exchanges = async () =>
  (await emulator.log()).filter((entry) => entry.endpoint === 'access_token').length

const sessionCookie = async (context: BrowserContext) =>
  (await context.cookies(APP_URL)).find((cookie) => cookie.name === 'wx_session')

/** Signs `context` in as `user` through the API, as the SPA would after WeChat's redirect. */
async function signIn(context: BrowserContext, user = 'normal') {
  const verifier = newVerifier()
  const state = await stateForVerifier(verifier)
  const response = await context.request.post('/api/auth/wechat', {
    data: { code: await mintCode(state, user), state, verifier },
  })
  expect(response.status()).toBe(200)
  const cookie = await sessionCookie(context)
  expect(cookie).toBeDefined()
  return cookie!
}

const NOT_SIGNED_IN = { error: { code: 'not_signed_in', message: 'not signed in' } }

async function expectRefused(request: APIRequestContext) {
  for (const response of [
    await request.get('/api/session'),
    await request.post('/api/session/refresh'),
    await request.delete('/api/sessions'),
  ]) {
    expect([response.status(), await response.json()]).toEqual([401, NOT_SIGNED_IN])
  }
}

test('a code and state leaked to another browser sign no one in there, and stay redeemable', async ({
  browser,
}) => {
  const victim = await browser.newContext({ baseURL: APP_URL })
  const attacker = await browser.newContext({ baseURL: APP_URL })
  try {
    const verifier = newVerifier()
    const state = await stateForVerifier(verifier)
    const code = await mintCode(state)

    // The attacker's browser has the code and state, not the verifier the victim's kept.
    const withOwn = await attacker.request.post('/api/auth/wechat', {
      data: { code, state, verifier: newVerifier() },
    })
    expect([withOwn.status(), await withOwn.json()]).toEqual([
      400,
      { error: { code: 'state_invalid', message: 'the state does not come from this verifier' } },
    ])
    const withNone = await attacker.request.post('/api/auth/wechat', { data: { code, state } })
    expect([withNone.status(), await withNone.json()]).toEqual([
      400,
      { error: { code: 'bad_request', message: 'verifier must be 43 to 128 letters or digits' } },
    ])
    expect(withOwn.headers()['set-cookie']).toBeUndefined()
    expect(withNone.headers()['set-cookie']).toBeUndefined()
    expect(await attacker.cookies(APP_URL)).toEqual([])
    expect(await exchanges()).toBe(0)

    const own = await victim.request.post('/api/auth/wechat', { data: { code, state, verifier } })
    expect(own.status()).toBe(200)
    expect(await sessionCookie(victim)).toBeDefined()
    expect(await exchanges()).toBe(1)
  } finally {
    await Promise.all([victim.close(), attacker.close()])
  }
})

test('a copy of the cookie is refused everywhere once its session signs out, even after a new sign-in', async ({
  browser,
}) => {
  const phone = await browser.newContext({ baseURL: APP_URL })
  const thief = await browser.newContext({ baseURL: APP_URL })
  try {
    const copy = await signIn(phone)
    await thief.addCookies([copy])
    expect((await thief.request.get('/api/session')).status()).toBe(200)

    const out = await phone.request.delete('/api/session')
    expect(out.status()).toBe(204)
    expect(out.headers()['set-cookie']).toMatch(/^wx_session=; Path=\/; HttpOnly; .*Max-Age=0/)
    expect(await sessionCookie(phone)).toBeUndefined()
    await expectRefused(thief.request)

    // The user signs in again: the copy cannot ride the new grant.
    await signIn(phone)
    const before = (await emulator.log()).length
    await expectRefused(thief.request)
    expect((await emulator.log()).slice(before)).toEqual([])
    expect((await phone.request.post('/api/session/refresh')).status()).toBe(200)
  } finally {
    await Promise.all([phone.close(), thief.close()])
  }
})

test('退出所有设备 ends both sessions of the user and not another user’s', async ({ browser }) => {
  const phone = await browser.newContext({ baseURL: APP_URL })
  const laptop = await browser.newContext({ baseURL: APP_URL })
  const other = await browser.newContext({ baseURL: APP_URL })
  try {
    await signIn(phone)
    await signIn(laptop)
    await signIn(other, 'emoji')
    const everywhere = await phone.request.delete('/api/sessions')
    expect(everywhere.status()).toBe(204)
    expect(await sessionCookie(phone)).toBeUndefined()
    await expectRefused(phone.request)
    await expectRefused(laptop.request)
    expect((await other.request.get('/api/session')).status()).toBe(200)
  } finally {
    await Promise.all([phone.close(), laptop.close(), other.close()])
  }
})

test('unknown API paths and methods answer the JSON error body, known paths 405', async ({
  request,
}) => {
  const NOT_FOUND = { error: { code: 'not_found', message: 'no such api endpoint' } }
  for (const [method, path] of [
    ['GET', '/api/nope'],
    ['POST', '/api/nope'],
    ['DELETE', '/api/nope/deeper'],
    ['GET', '/api'],
    ['GET', '/api/'],
    ['PUT', '/api/session/x'],
    ['GET', '/api/auth/wechat/extra'],
    ['PATCH', '/api/auth'],
    ['GET', '/api/session.html'],
  ] as const) {
    const response = await request.fetch(path, {
      method,
      ...(method === 'POST' ? { data: { code: 'abc' } } : {}),
    })
    expect(
      [method, path, response.status(), response.headers()['content-type'], await response.text()],
      `${method} ${path}`,
    ).toEqual([method, path, 404, 'application/json; charset=utf-8', JSON.stringify(NOT_FOUND)])
  }
  for (const [method, path] of [
    ['PUT', '/api/session'],
    ['GET', '/api/auth/wechat'],
    ['POST', '/api/sessions'],
    ['GET', '/api/session/refresh'],
  ] as const) {
    const response = await request.fetch(path, { method })
    expect([response.status(), await response.json()], `${method} ${path}`).toEqual([
      405,
      { error: { code: 'method_not_allowed', message: `method ${method} is not allowed` } },
    ])
  }
  // The SPA's own pages are untouched.
  const page = await request.get('/profile')
  expect(page.status()).toBe(200)
  expect(page.headers()['content-type']).toMatch(/^text\/html/)
})
