import { readdir, readFile } from 'node:fs/promises'
import type { Config, Context } from '@netlify/functions'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Emulator } from '../../emulator/server.ts'
import { obtainCode, startEmulator } from '../../emulator/test-support/index.ts'
import { testUser } from '../../emulator/users.ts'
import { startAvatarHost, type AvatarHost } from '../test-support/avatar-host.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { emulatorEnv } from '../../scripts/emulator-env.ts'
import authWechat, { config as authConfig } from '../functions/auth-wechat.ts'
import session, { config as sessionConfig } from '../functions/session.ts'
import refreshFunction, { config as refreshConfig } from '../functions/session-refresh.ts'
import sessions, { config as sessionsConfig } from '../functions/sessions.ts'
import { config as qrLoginConfig } from '../functions/qr-login.ts'
import { config as qrPollConfig } from '../functions/qr-login-status.ts'
import * as notFoundModule from '../functions/api-not-found.ts'
import { loginRequest, TEST_STATE, TEST_VERIFIER } from '../test-support/login.ts'
import { defineHandler, type Frame, type HandlerEnv } from './handlers.ts'
import { ApiError } from './http.ts'
import { readUser } from './users.ts'

/** The real handlers, called with a Request as Netlify would, against a real emulator. */
let emulator: Emulator
let env: Record<string, string | undefined>
const context = { requestId: 'req-test' } as Context

/** A login from the browser that asked for the code, but for what `body` says otherwise. */
function login(body: Record<string, unknown> | string, headers: Record<string, string> = {}) {
  return authWechat(
    new Request('https://app.example/api/auth/wechat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body:
        typeof body === 'string'
          ? body
          : JSON.stringify({ state: TEST_STATE, verifier: TEST_VERIFIER, ...body }),
    }),
    context,
  )
}

function cookieOf(response: Response): string {
  const setCookie = response.headers.get('set-cookie') ?? ''
  return setCookie.split(';')[0] ?? ''
}

let blobs: Awaited<ReturnType<typeof startBlobs>>
let avatarHost: AvatarHost

beforeAll(async () => {
  emulator = await startEmulator({ now: Date.now })
  blobs = await startBlobs()
  avatarHost = await startAvatarHost()
  vi.stubGlobal('Netlify', { env: { get: (name: string) => env[name] } })
})

afterAll(async () => {
  vi.unstubAllGlobals()
  await emulator.close()
  await blobs.close()
  await avatarHost.close()
})

beforeEach(() => {
  emulator.reset()
  env = {
    ...emulatorEnv(emulator.url),
    WECHAT_TIMEOUT_MS: '1000',
    WECHAT_AVATAR_ORIGIN: avatarHost.url,
    NETLIFY_BLOBS_CONTEXT: blobs.siteContext,
  }
})

describe('routes', () => {
  it('serve the contract paths', () => {
    expect(authConfig.path).toBe('/api/auth/wechat')
    expect(authConfig.rateLimit).toEqual({
      windowLimit: 30,
      windowSize: 60,
      aggregateBy: ['ip', 'domain'],
    })
    expect(sessionConfig.path).toBe('/api/session')
    expect(refreshConfig.path).toBe('/api/session/refresh')
    expect(sessionsConfig.path).toBe('/api/sessions')
    expect([qrLoginConfig.rateLimit, qrPollConfig.rateLimit]).toEqual([
      { windowLimit: 20, windowSize: 60, aggregateBy: ['ip', 'domain'] },
      { windowLimit: 180, windowSize: 60, aggregateBy: ['ip', 'domain'] },
    ])
  })

  it('send every other /api path to the not-found function, which has no path to shadow one with', async () => {
    const directory = new URL('../functions/', import.meta.url)
    const paths: string[] = []
    for (const file of await readdir(directory)) {
      if (file === 'api-not-found.ts') continue
      const { config } = (await import(new URL(file, directory).href)) as { config: Config }
      paths.push(...[config.path ?? []].flat())
    }
    expect(paths.sort()).toEqual([
      '/api/auth/wechat',
      '/api/avatar/:key',
      '/api/computers',
      '/api/computers/:id',
      '/api/qr-login',
      '/api/qr-login/:id',
      '/api/qr-login/:id/:action',
      '/api/session',
      '/api/session/refresh',
      '/api/sessions',
      '/api/wechat/jssdk-config',
    ])
    // Reached only through netlify.toml's rewrite, which Netlify applies after functions' paths.
    expect('config' in notFoundModule).toBe(false)
    const toml = await readFile(new URL('../../netlify.toml', import.meta.url), 'utf8')
    const rewrite = toml.indexOf(
      '[[redirects]]\n  from = "/api/*"\n  to = "/.netlify/functions/api-not-found"\n  status = 200\n\n',
    )
    expect(rewrite).toBeGreaterThan(0)
    expect(toml.indexOf('from = "/*"')).toBeGreaterThan(rewrite)
  })

  it('answer an unknown path, with any method, with a JSON 404 in the error body', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/api/auth/qq'],
      ['DELETE', '/api'],
      ['PUT', '/api/session/x'],
      ['PROPFIND', '/api/sessions/all'],
    ] as const) {
      const response = await notFoundModule.default(
        new Request(`https://app.example${path}`, { method }),
        context,
      )
      expect([
        response.status,
        response.headers.get('content-type'),
        response.headers.get('cache-control'),
        await response.json(),
      ]).toEqual([
        404,
        'application/json; charset=utf-8',
        'no-store',
        { error: { code: 'not_found', message: 'no such api endpoint' } },
      ])
    }
  })

  it('answer through the Netlify functions', async () => {
    const url = 'https://app.example/api/session/refresh'
    const anonymous = await refreshFunction(new Request(url, { method: 'POST' }), context)
    expect([anonymous.status, await anonymous.json()]).toEqual([
      401,
      { error: { code: 'not_signed_in', message: 'not signed in' } },
    ])
    const everywhere = await sessions(
      new Request('https://app.example/api/sessions', { method: 'DELETE' }),
      context,
    )
    expect([everywhere.status, await everywhere.json()]).toEqual([
      401,
      { error: { code: 'not_signed_in', message: 'not signed in' } },
    ])
  })
})

describe('defineHandler', () => {
  const post = () => new Request('https://app.example/api/x', { method: 'POST' })
  const quiet: HandlerEnv = {
    env: () => undefined,
    requestId: 'req-frame',
    now: () => 1_800_000_000_123,
  }

  it('answers 405 for a method it does not list, without running the body', async () => {
    const body = vi.fn(async () => new Response('ran'))
    const response = await defineHandler(['GET'], body)(post(), quiet)
    expect([response.status, await response.json()]).toEqual([
      405,
      { error: { code: 'method_not_allowed', message: 'method POST is not allowed' } },
    ])
    expect(body).not.toHaveBeenCalled()
  })

  it('gives the body one reading of the clock, the URL and the stores', async () => {
    let seen: Frame | undefined
    const stores = () => ({}) as never
    await defineHandler(['POST'], async (_request, frame) => {
      seen = frame
      return new Response(null, { status: 204 })
    })(post(), { ...quiet, stores })
    expect(seen).toMatchObject({ nowMs: 1_800_000_000_123, nowS: 1_800_000_000, stores })
    expect(seen?.url.href).toBe('https://app.example/api/x')
  })

  it('answers what the body throws, and hands the writes it started to waitUntil', async () => {
    let land!: () => void
    const landed = new Promise<void>((resolve) => (land = resolve))
    const deferred: Promise<boolean>[] = []
    const failing = defineHandler(['POST'], async (_request, frame) => {
      frame.bookkeep('a write', () => landed)
      throw new ApiError('bad_request', 'no good')
    })
    const response = await failing(post(), { ...quiet, waitUntil: (work) => deferred.push(work) })
    expect([response.status, await response.json()]).toEqual([
      400,
      { error: { code: 'bad_request', message: 'no good' } },
    ])
    expect(deferred).toHaveLength(1)
    land()
    expect(await deferred[0]).toBe(true)
  })

  it('answers internal for anything else, and awaits the writes without waitUntil', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const order: string[] = []
    const response = await defineHandler(['POST'], async (_request, frame) => {
      frame.bookkeep('a write', async () => {
        await new Promise((resolve) => setTimeout(resolve, 10))
        order.push('write')
      })
      throw new Error('boom')
    })(post(), quiet).then((answer) => {
      order.push('answer')
      return answer
    })
    expect([response.status, (await response.json()).error.code]).toEqual([500, 'internal'])
    expect(order).toEqual(['write', 'answer'])
    expect(log).toHaveBeenCalledWith('[req-frame] internal:', expect.any(Error))
    log.mockRestore()
  })
})

describe('POST /api/auth/wechat', () => {
  it('answers the profile and an HttpOnly session cookie, never a token', async () => {
    const log = vi.spyOn(console, 'error')
    const code = await obtainCode(emulator, { user: 'emoji' })
    // WeChat and Blobs are both reached over the platform's fetch.
    const globalFetch = vi.spyOn(globalThis, 'fetch')
    const response = await login({ code })
    const fetched = globalFetch.mock.calls.map(
      ([url, init]) => `${init?.method ?? 'GET'} ${new URL(String(url)).pathname}`,
    )
    globalFetch.mockRestore()
    expect(response.status).toBe(200)
    const text = await response.text()
    const { user } = JSON.parse(text)
    // Then the avatar's copy, apart from the record (avatars.spec.ts).
    const avatarCopy = /^\w+ \/(?:mmopen\/|test-site\/site:avatars\/)/
    expect(fetched.filter((call) => !avatarCopy.test(call))).toEqual([
      'GET /sns/oauth2/access_token',
      'GET /sns/userinfo',
      expect.stringMatching(
        new RegExp(`^put /test-site/site:users/${user.openid}/\\d{13}-signin-`),
      ),
    ])
    const emoji = testUser('emoji')
    expect(user.nickname).toBe(emoji.nickname)
    expect(user.headimgurl).toBe(emoji.headimgurl)
    expect(user.avatar).toMatch(/^\/api\/avatar\/[\w-]+\.[\w-]{22}$/)
    expect(user.scope).toBe('snsapi_userinfo')
    expect(user.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(user.unionid).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(text).not.toMatch(/83_|access_token|refresh_token/)
    expect(text).not.toContain(env.WECHAT_APPSECRET)
    const setCookie = response.headers.get('set-cookie') ?? ''
    expect(log).not.toHaveBeenCalled()
    expect(await readUser(blobs.stores('users'), user.openid)).toMatchObject({
      signInCount: 1,
    })
    expect(setCookie).toMatch(
      /^__Host-wx_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800; Secure$/,
    )
  })

  it('signs in a user without unionid and without avatar', async () => {
    const noUnion = await (
      await login({ code: await obtainCode(emulator, { user: 'no-unionid' }) })
    ).json()
    expect(noUnion.user.unionid).toBeUndefined()
    const noAvatar = await (
      await login({ code: await obtainCode(emulator, { user: 'no-avatar' }) })
    ).json()
    expect(noAvatar.user.headimgurl).toBe('')
  })

  it('signs in with snsapi_base from the openid alone, with one upstream call', async () => {
    const code = await obtainCode(emulator, { scope: 'snsapi_base' })
    const response = await login({ code })
    expect(response.status).toBe(200)
    const { user } = await response.json()
    expect(user.scope).toBe('snsapi_base')
    expect(user.nickname).toBe('')
    expect(
      emulator
        .log()
        .filter((e) => e.endpoint !== 'authorize')
        .map((e) => e.endpoint),
    ).toEqual(['access_token'])
  })

  it('asks the userinfo in the language the request names', async () => {
    await login({ code: await obtainCode(emulator), lang: 'zh_TW' })
    const userinfo = emulator.log().find((e) => e.endpoint === 'userinfo')
    expect(userinfo?.query.lang).toBe('zh_TW')
  })

  it('asks the userinfo in the configured language', async () => {
    env.WECHAT_LANG = 'en'
    await login({ code: await obtainCode(emulator) })
    const userinfo = emulator.log().find((e) => e.endpoint === 'userinfo')
    expect(userinfo?.query.lang).toBe('en')
  })

  it('refuses the snapshot-page user without a session', async () => {
    const code = await obtainCode(emulator, { user: 'snapshot' })
    const response = await login({ code })
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({
      error: {
        code: 'snapshot_user',
        message: 'snapshot-page users must open the full service first',
      },
    })
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('answers invalid_code for an unknown code and code_used for a reused one', async () => {
    const unknown = await login({ code: 'A'.repeat(32) })
    expect([unknown.status, (await unknown.json()).error.code]).toEqual([400, 'invalid_code'])
    const code = await obtainCode(emulator)
    expect((await login({ code })).status).toBe(200)
    const reused = await login({ code })
    expect([reused.status, (await reused.json()).error.code]).toEqual([409, 'code_used'])
  })

  it('answers wechat_unavailable when WeChat breaks, and misconfigured for a wrong secret', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    emulator.addFault({ endpoint: 'access_token', status: 502 })
    const broken = await login({ code: await obtainCode(emulator) })
    expect([broken.status, (await broken.json()).error.code]).toEqual([502, 'wechat_unavailable'])

    env.WECHAT_APPSECRET = 'wrong'
    const wrong = await login({ code: await obtainCode(emulator) })
    expect([wrong.status, (await wrong.json()).error]).toEqual([
      500,
      { code: 'misconfigured', message: 'the service is misconfigured' },
    ])
    vi.restoreAllMocks()
  })

  it("signs no one in when userinfo answers another openid than the token's", async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const code = await obtainCode(emulator)
    const impostor = { openid: 'oIMPOSTOR0000000000000000001', nickname: '冒名顶替' }
    emulator.addFault({ endpoint: 'userinfo', body: JSON.stringify(impostor) })
    const before = (await blobs.stores('users').list()).blobs.length
    const response = await login({ code })
    expect([response.status, await response.json()]).toEqual([
      502,
      {
        error: { code: 'wechat_rejected', message: 'wechat answered the profile of another user' },
      },
    ])
    expect(response.headers.get('set-cookie')).toBeNull()
    expect((await blobs.stores('users').list()).blobs.length).toBe(before)
    expect(log).toHaveBeenCalledWith('[req-test] wechat_rejected: userinfo answered another openid')
    vi.restoreAllMocks()
  })

  it('answers misconfigured, naming nothing secret, when SESSION_SECRET is missing', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    env.SESSION_SECRET = undefined
    const response = await login({ code: 'abc' })
    expect(response.status).toBe(500)
    expect((await response.json()).error.code).toBe('misconfigured')
    expect(log).toHaveBeenCalledWith(
      '[req-test] misconfigured: set SESSION_SECRET: SESSION_SECRET is not set',
    )
    vi.restoreAllMocks()
  })

  it('answers misconfigured, naming WECHAT_API_BASE, for plain http to another host', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    env.WECHAT_API_BASE = 'http://api.weixin.qq.com'
    const response = await login({ code: 'abc' })
    expect([response.status, (await response.json()).error.code]).toEqual([500, 'misconfigured'])
    expect(log).toHaveBeenCalledWith(
      '[req-test] misconfigured: set WECHAT_API_BASE: WECHAT_API_BASE must be an https URL (http only to localhost)',
    )
    vi.restoreAllMocks()
  })

  it('exchanges nothing for a code brought without its verifier, or with another', async () => {
    const code = await obtainCode(emulator)
    const without = await login(JSON.stringify({ code, state: TEST_STATE }))
    expect([without.status, await without.json()]).toEqual([
      400,
      { error: { code: 'bad_request', message: 'verifier must be 43 to 128 letters or digits' } },
    ])
    const another = await login({ code, verifier: 'AnotherBrowser'.padEnd(43, '0') })
    expect([another.status, await another.json()]).toEqual([
      400,
      { error: { code: 'state_invalid', message: 'the state does not come from this verifier' } },
    ])
    expect([without, another].map((r) => r.headers.get('set-cookie'))).toEqual([null, null])
    expect(emulator.log().filter((e) => e.endpoint === 'access_token')).toEqual([])
    // Nothing was spent: the browser that asked still redeems the code.
    expect((await login({ code })).status).toBe(200)
  })

  it('logs WeChat errcodes with its own words only, never what an errmsg echoes', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const code = await obtainCode(emulator)
    emulator.addFault({
      endpoint: 'access_token',
      errcode: 40125,
      errmsg: `invalid appsecret ${env.WECHAT_APPSECRET} for code ${code}, hints: [ ${code} ]`,
    })
    const misconfigured = await login({ code })
    expect(misconfigured.status).toBe(500)
    const token = `83_${'eChOeDtOkEn'.repeat(9)}`
    emulator.addFault({
      endpoint: 'userinfo',
      errcode: 40001,
      errmsg: `invalid credential, access_token ${token} is invalid or not latest`,
    })
    const rejected = await login({ code: await obtainCode(emulator) })
    expect(rejected.status).toBe(502)
    expect(log.mock.calls).toEqual([
      [
        '[req-test] misconfigured: access_token errcode 40125: invalid appsecret (check WECHAT_APPID, WECHAT_APPSECRET and the server IP whitelist)',
      ],
      ['[req-test] wechat_rejected: userinfo errcode 40001: invalid credential, access_token'],
    ])
    const logged = JSON.stringify(log.mock.calls)
    for (const secret of [code, token, env.WECHAT_APPSECRET!]) expect(logged).not.toContain(secret)
    vi.restoreAllMocks()
  })

  it('answers 405 JSON for GET and 400 for a malformed body', async () => {
    const get = await authWechat(new Request('https://app.example/api/auth/wechat'), context)
    expect([get.status, await get.json()]).toEqual([
      405,
      { error: { code: 'method_not_allowed', message: 'method GET is not allowed' } },
    ])
    const bad = await login('{"code":')
    expect([bad.status, (await bad.json()).error.code]).toEqual([400, 'bad_request'])
    expect(emulator.log().filter((e) => e.endpoint === 'access_token')).toEqual([])
  })
})

describe('/api/session', () => {
  it('answers the signed-in user for the cookie, 401 without it, and signs out', async () => {
    const signedIn = await login({ code: await obtainCode(emulator) })
    const cookie = cookieOf(signedIn)
    const { user } = await signedIn.json()

    const get = await session(
      new Request('https://app.example/api/session', { headers: { cookie } }),
      context,
    )
    expect(get.status).toBe(200)
    expect(await get.json()).toEqual({ user, device: 'phone' })

    const anonymous = await session(new Request('https://app.example/api/session'), context)
    expect([anonymous.status, await anonymous.json()]).toEqual([
      401,
      { error: { code: 'not_signed_in', message: 'not signed in' } },
    ])

    const forged = await session(
      new Request('https://app.example/api/session', { headers: { cookie: `${cookie}x` } }),
      context,
    )
    expect(forged.status).toBe(401)

    const out = await session(
      new Request('https://app.example/api/session', { method: 'DELETE', headers: { cookie } }),
      context,
    )
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toBe(
      '__Host-wx_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    )
  })

  const signOut = (cookie: string) =>
    session(
      new Request('https://app.example/api/session', { method: 'DELETE', headers: { cookie } }),
      context,
    )
  const CLEARED = '__Host-wx_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure'

  it('reads and ends a session with the session secrets alone', async () => {
    const signedIn = await login({ code: await obtainCode(emulator) })
    const cookie = cookieOf(signedIn)
    const { user } = await signedIn.json()
    env = { SESSION_SECRET: env.SESSION_SECRET, NETLIFY_BLOBS_CONTEXT: blobs.siteContext }

    const get = await session(
      new Request('https://app.example/api/session', { headers: { cookie } }),
      context,
    )
    expect([get.status, await get.json()]).toEqual([200, { user, device: 'phone' }])
    const out = await signOut(cookie)
    expect([out.status, out.headers.get('set-cookie')]).toEqual([204, CLEARED])
    expect(await readUser(blobs.stores('users'), user.openid)).toMatchObject({ grant: null })
  })

  it('clears the cookie even when it cannot open the session: SESSION_SECRET missing', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const cookie = cookieOf(await login({ code: await obtainCode(emulator) }))
    env = {}
    const out = await signOut(cookie)
    expect([out.status, out.headers.get('set-cookie'), await out.text()]).toEqual([
      204,
      CLEARED,
      '',
    ])
    expect(log).toHaveBeenCalledWith(
      '[req-test] misconfigured: set SESSION_SECRET: SESSION_SECRET is not set',
    )
    vi.restoreAllMocks()
  })

  it('reads only __Host-wx_session on https, so a wx_session set by a sibling cannot stand in', async () => {
    const value = cookieOf(await login({ code: await obtainCode(emulator) })).replace(
      /^__Host-wx_session=/,
      '',
    )
    const get = (url: string, cookie: string) =>
      session(new Request(url, { headers: { cookie } }), context)
    const https = 'https://app.example/api/session'
    expect((await get(https, `__Host-wx_session=${value}`)).status).toBe(200)
    expect((await get(https, `wx_session=${value}`)).status).toBe(401)
    expect((await get(https, `wx_session=junk; __Host-wx_session=${value}`)).status).toBe(200)
    // On http://localhost (netlify dev) the plain name is the one, and the only one, read.
    const local = await authWechat(
      loginRequest(await obtainCode(emulator), {}, 'http://localhost:8888/api/auth/wechat'),
      context,
    )
    const setCookie = local.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^wx_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/)
    const plain = cookieOf(local)
    const localUrl = 'http://localhost:8888/api/session'
    expect((await get(localUrl, plain)).status).toBe(200)
    expect((await get(localUrl, `__Host-${plain}`)).status).toBe(401)
  })

  it('answers 405 for POST', async () => {
    const response = await session(
      new Request('https://app.example/api/session', { method: 'POST' }),
      context,
    )
    expect(response.status).toBe(405)
  })
})
