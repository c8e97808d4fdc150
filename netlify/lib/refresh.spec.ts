import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Emulator } from '../../emulator/server.ts'
import { obtainCode, startEmulator } from '../../emulator/test-support/index.ts'
import { emulatorEnv } from '../../scripts/emulator-env.ts'
import { loadSessionSecrets } from './config.ts'
import {
  handleSession,
  handleSessionRefresh,
  handleWechatLogin,
  type HandlerEnv,
} from './handlers.ts'
import type { StoreFactory } from './stores.ts'
import { startAvatarHost, type AvatarHost } from '../test-support/avatar-host.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { loginRequest } from '../test-support/login.ts'
import { inPool } from '../test-support/pool.ts'
import { loadTokens } from './tokens.ts'
import { readUser } from './users.ts'

/** Sign-in, refresh and sign-out through the real handlers, emulator and Blobs server. */
let emulator: Emulator
let avatarHost: AvatarHost
let blobs: { stores: StoreFactory; close: () => Promise<void> }
let clock: number
let env: HandlerEnv
/** Settings a test changes over the emulator's (`undefined` unsets one). */
let overrides: Record<string, string | undefined>
const settings = (): Record<string, string | undefined> => ({
  ...emulatorEnv(emulator.url),
  WECHAT_AVATAR_ORIGIN: avatarHost.url,
  ...overrides,
})
const secrets = () => loadSessionSecrets((name) => settings()[name])

beforeAll(async () => {
  ;[emulator, blobs, avatarHost] = await Promise.all([
    startEmulator({ now: Date.now }),
    startBlobs(),
    startAvatarHost(),
  ])
})
afterAll(async () => {
  await Promise.all([emulator.close(), blobs.close(), avatarHost.close()])
})
beforeEach(() => {
  emulator.reset()
  // Never back: events are ordered by their time, and tests sign the same users in.
  clock = Math.max((clock ?? 0) + 1000, Date.now())
  overrides = {}
  env = {
    env: (name) => settings()[name],
    stores: blobs.stores,
    now: () => clock,
    requestId: 'req-refresh',
  }
})

/** Moves both clocks: ours and the emulator's. */
function advance(ms: number) {
  clock += ms
  emulator.advanceClock(ms)
}

const postLogin = (code: string) => handleWechatLogin(loginRequest(code), env)

async function signIn(user: 'normal' | 'no-unionid' = 'normal') {
  const response = await postLogin(await obtainCode(emulator, { user }))
  expect(response.status).toBe(200)
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const { user: profile } = (await response.json()) as { user: { openid: string } }
  return { cookie, openid: profile.openid }
}

const refresh = (cookie: string) =>
  handleSessionRefresh(
    new Request('https://app.example/api/session/refresh', { method: 'POST', headers: { cookie } }),
    env,
  )

const upstream = () =>
  emulator
    .log()
    .map((entry) => entry.endpoint)
    .filter((endpoint) => endpoint !== 'authorize' && endpoint !== 'confirm')

/** Blobs that log every write as `store.method`. */
function loggingStores(writes: string[], stores: StoreFactory = blobs.stores): StoreFactory {
  return (name) =>
    new Proxy(stores(name), {
      get(target, property) {
        const value: unknown = Reflect.get(target, property)
        if (typeof value !== 'function') return value
        if (['set', 'setJSON', 'delete'].includes(String(property))) {
          writes.push(`${name}.${String(property)}`)
        }
        return (value as (...args: unknown[]) => unknown).bind(target)
      },
    })
}

describe('sign-in bookkeeping', () => {
  it('records the user with the tokens encrypted in one event, in one write', async () => {
    const writes: string[] = []
    env.stores = loggingStores(writes)
    const { openid } = await signIn()
    // Besides the avatar's copy, if none is kept yet (avatars.spec.ts).
    expect(writes.filter((write) => !write.startsWith('avatars.'))).toEqual(['users.setJSON'])
    const record = await readUser(blobs.stores('users'), openid)
    expect(record?.signInCount).toBeGreaterThanOrEqual(1)
    expect(record?.profile.nickname).toBe('微信用户小明')
    expect(record?.unionid).toMatch(/^o/)
    expect(record?.grant?.sealed).toMatch(/^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(JSON.stringify(record)).not.toContain('83_')
    const tokens = await loadTokens(blobs.stores, secrets(), openid)
    expect(tokens?.signIn).toBe(record?.grant?.signIn)
    expect(tokens?.tokens.accessToken).toMatch(/^83_/)
    expect(tokens?.tokens.refreshExpiresAt).toBe(clock + 30 * 24 * 3600 * 1000)
  })

  it('signs the user in even when Blobs is down, and logs it', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    env.stores = () => {
      throw new Error('blobs unavailable')
    }
    const response = await postLogin(await obtainCode(emulator))
    expect(response.status).toBe(200)
    expect(log).toHaveBeenCalledWith('[req-refresh] user record failed:', expect.any(Error))
    log.mockRestore()
  })
})

describe('many sign-ins at once', () => {
  it('counts 1,000 sign-ins of 5 users, 50 at a time on 4 instances, exactly, keeping each newest grant', async () => {
    const fresh = await startBlobs()
    // Each a fresh copy of the server's modules, as each function call is under `netlify dev`.
    const instances: (typeof handleWechatLogin)[] = []
    for (let n = 0; n < 4; n++) {
      vi.resetModules()
      instances.push((await import('./handlers.ts')).handleWechatLogin)
    }
    try {
      const users = ['normal', 'emoji', 'no-avatar', 'no-unionid', 'html'] as const
      const codes = await inPool(
        Array.from({ length: 1000 }, (_, i) => users[i % 5]!),
        10,
        (user) => obtainCode(emulator, { user }),
      )
      const deferred: Promise<boolean>[] = []
      const writes: string[] = []
      const base = clock
      const answers = await inPool(codes, 50, async (code, i) => {
        const response = await instances[i % 4]!(loginRequest(code), {
          ...env,
          stores: (name) => loggingStores(writes, fresh.stores)(name),
          now: () => base + i,
          waitUntil: (work) => deferred.push(work),
        })
        expect(response.status).toBe(200)
        return ((await response.json()) as { user: { openid: string } }).user.openid
      })
      expect(await Promise.all(deferred)).toEqual(Array(1000).fill(true))
      expect(writes.filter((write) => !write.startsWith('avatars.'))).toEqual(
        Array(1000).fill('users.setJSON'),
      )
      for (const n of users.keys()) {
        const openid = answers[n]!
        expect(answers.filter((id) => id === openid)).toHaveLength(200)
        expect(await readUser(fresh.stores('users'), openid)).toMatchObject({
          signInCount: 200,
          firstSignInAt: new Date(base + n).toISOString(),
          lastSignInAt: new Date(base + 995 + n).toISOString(),
        })
        const newest = await loadTokens(fresh.stores, secrets(), openid)
        expect(newest?.tokens.accessExpiresAt).toBe(base + 995 + n + 7200 * 1000)
      }
    } finally {
      await fresh.close()
    }
    // About 5 s on a 2-core machine, codes included; the bound leaves room for a busy one.
  }, 30_000)
})

describe('bookkeeping after the answer (waitUntil)', () => {
  /** Blobs whose writes wait for `open`; reads go through at once. */
  function gatedStores() {
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const stores: StoreFactory = (name) =>
      new Proxy(blobs.stores(name), {
        get(target, property) {
          const value: unknown = Reflect.get(target, property)
          if (typeof value !== 'function') return value
          const method = (value as (...args: unknown[]) => Promise<unknown>).bind(target)
          if (!['set', 'setJSON', 'delete'].includes(String(property))) return method
          return async (...args: unknown[]) => {
            await gate
            return method(...args)
          }
        },
      })
    return { stores, open }
  }

  it('answers the sign-in before the writes land; a refresh meanwhile asks to re-authorize', async () => {
    const { stores, open } = gatedStores()
    const deferred: Promise<boolean>[] = []
    env = { ...env, stores, waitUntil: (work) => deferred.push(work) }
    const count = async (openid: string) => {
      return (await readUser(blobs.stores('users'), openid))?.signInCount ?? 0
    }
    try {
      const { cookie, openid } = await signIn('no-unionid')
      expect(deferred).toHaveLength(1)
      const before = await count(openid)
      const early = await refresh(cookie)
      expect(early.status).toBe(401)
      expect(((await early.json()) as { error: { code: string } }).error.code).toBe(
        'reauth_required',
      )
      open()
      expect(await Promise.all(deferred)).toEqual([true])
      expect(await count(openid)).toBe(before + 1)
      expect((await refresh(cookie)).status).toBe(200)
    } finally {
      open()
    }
  })

  it('resolves the deferred work to false when a write fails, and logs it', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const deferred: Promise<boolean>[] = []
    env = {
      ...env,
      stores: () => {
        throw new Error('blobs unavailable')
      },
      waitUntil: (work) => deferred.push(work),
    }
    await signIn()
    expect(await Promise.all(deferred)).toEqual([false])
    expect(log).toHaveBeenCalledWith('[req-refresh] user record failed:', expect.any(Error))
    log.mockRestore()
  })
})

describe('POST /api/session/refresh', () => {
  it('checks an unexpired token with /sns/auth, then re-reads the profile', async () => {
    const { cookie } = await signIn()
    const before = upstream().length
    const response = await refresh(cookie)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { user: { nickname: string } }).user.nickname).toBe(
      '微信用户小明',
    )
    expect(upstream().slice(before)).toEqual(['auth', 'userinfo'])
    expect(response.headers.get('set-cookie')).toMatch(/^__Host-wx_session=/)
  })

  it('renews an expired access_token with the refresh_token, with no new authorization', async () => {
    const { cookie } = await signIn()
    advance(3 * 3600 * 1000)
    const before = upstream().length
    const response = await refresh(cookie)
    expect(response.status).toBe(200)
    expect(upstream().slice(before)).toEqual(['refresh_token', 'userinfo'])
    expect(emulator.log().filter((e) => e.endpoint === 'confirm')).toHaveLength(1)
  })

  it('renews when /sns/auth refuses the stored token', async () => {
    const { cookie } = await signIn()
    emulator.addFault({ endpoint: 'auth', errcode: 40014 })
    const before = upstream().length
    expect((await refresh(cookie)).status).toBe(200)
    expect(upstream().slice(before)).toEqual(['auth', 'refresh_token', 'userinfo'])
  })

  it.each([40030, 42002])(
    'asks for a fresh authorization when WeChat answers %i',
    async (errcode) => {
      const { cookie, openid } = await signIn()
      advance(3 * 3600 * 1000)
      emulator.addFault({ endpoint: 'refresh_token', errcode })
      const response = await refresh(cookie)
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({
        error: { code: 'reauth_required', message: 'wechat no longer honours the grant' },
      })
      expect(await loadTokens(blobs.stores, secrets(), openid)).toBeNull()
      expect(await readUser(blobs.stores('users'), openid)).toMatchObject({ grant: null })
    },
  )

  it('re-reads the profile for up to 30 days, after which the user must sign in again', async () => {
    const { cookie } = await signIn()
    const day = 24 * 3600 * 1000
    // Keep the session alive by using it, as an active user would.
    let current = cookie
    const visit = async () => {
      const response = await handleSession(
        new Request('https://app.example/api/session', { headers: { cookie: current } }),
        env,
      )
      current = (response.headers.get('set-cookie') ?? current).split(';')[0] ?? current
      return response.status
    }
    for (let i = 0; i < 4; i++) {
      advance(6 * day)
      expect(await visit()).toBe(200)
    }
    advance(5 * day)
    const before = upstream().length
    expect((await refresh(current)).status).toBe(200)
    expect(upstream().slice(before)).toEqual(['refresh_token', 'userinfo'])
    advance(day)
    expect(await visit()).toBe(401)
  })

  it("keeps the profile when userinfo answers another openid than the session's", async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { cookie, openid } = await signIn()
    const impostor = { openid: 'oIMPOSTOR0000000000000000001', nickname: '冒名顶替' }
    emulator.addFault({ endpoint: 'userinfo', body: JSON.stringify(impostor) })
    const response = await refresh(cookie)
    expect([response.status, await response.json()]).toEqual([
      502,
      {
        error: { code: 'wechat_rejected', message: 'wechat answered the profile of another user' },
      },
    ])
    expect(response.headers.get('set-cookie')).toBeNull()
    expect((await readUser(blobs.stores('users'), openid))?.profile.nickname).toBe('微信用户小明')
    expect(log).toHaveBeenCalledWith(
      '[req-refresh] wechat_rejected: userinfo answered another openid',
    )
    log.mockRestore()
  })

  it('answers 401 not_signed_in without a session and 405 for GET', async () => {
    const anonymous = await refresh('')
    expect(anonymous.status).toBe(401)
    const get = await handleSessionRefresh(
      new Request('https://app.example/api/session/refresh'),
      env,
    )
    expect(get.status).toBe(405)
  })
})

describe('DELETE /api/session', () => {
  it('ends the session and forgets the stored tokens: one write to each store', async () => {
    const { cookie, openid } = await signIn()
    const writes: string[] = []
    env.stores = loggingStores(writes)
    const response = await handleSession(
      new Request('https://app.example/api/session', { method: 'DELETE', headers: { cookie } }),
      env,
    )
    expect(response.status).toBe(204)
    expect(writes).toEqual(['sessions.setJSON', 'users.setJSON'])
    expect(await loadTokens(blobs.stores, secrets(), openid)).toBeNull()
    expect(await readUser(blobs.stores('users'), openid)).toMatchObject({
      signInCount: expect.any(Number),
      grant: null,
    })
    const again = await refresh(cookie)
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('not_signed_in')
  })
})

describe('GET /api/session', () => {
  it('re-issues the cookie after an hour, not before', async () => {
    const { cookie } = await signIn()
    const get = () =>
      handleSession(new Request('https://app.example/api/session', { headers: { cookie } }), env)
    expect((await get()).headers.get('set-cookie')).toBeNull()
    advance(3600 * 1000)
    expect((await get()).headers.get('set-cookie')).toMatch(
      /^__Host-wx_session=.+; Max-Age=604800; Secure$/,
    )
  })
})

describe('SESSION_SECRET rotation', () => {
  const NEXT = 'the-next-session-secret-0123456789abcdef'
  const getSession = (cookie: string) =>
    handleSession(new Request('https://app.example/api/session', { headers: { cookie } }), env)
  const cookieOf = (response: Response) =>
    (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''

  it('keeps a user signed in, re-sealing the cookie under the new secret, and 刷新资料 working', async () => {
    const { cookie, openid } = await signIn()
    const old = settings().SESSION_SECRET!
    overrides = { SESSION_SECRET: NEXT, SESSION_SECRET_PREVIOUS: `${'x'.repeat(32)},${old}` }

    // Well within the hour: re-issued because an earlier secret sealed it.
    const visit = await getSession(cookie)
    expect(visit.status).toBe(200)
    const resealed = cookieOf(visit)
    expect(resealed).toMatch(/^__Host-wx_session=.+/)
    // The grant sealed under the old secret still opens.
    const before = upstream().length
    expect((await refresh(cookie)).status).toBe(200)
    expect(upstream().slice(before)).toEqual(['auth', 'userinfo'])

    // Once the old secret is gone: the re-sealed cookie opens, the old one no longer does.
    overrides = { SESSION_SECRET: NEXT }
    expect((await getSession(resealed)).status).toBe(200)
    const gone = await getSession(cookie)
    expect([gone.status, await gone.json()]).toEqual([
      401,
      { error: { code: 'not_signed_in', message: 'not signed in' } },
    ])
    // Its grant was never renewed, so it was still sealed under the old secret only.
    expect(await loadTokens(blobs.stores, secrets(), openid)).toBeNull()
    const refused = await refresh(resealed)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'reauth_required',
    )
  })

  it('seals a grant renewed after the rotation under the new secret', async () => {
    const { cookie } = await signIn()
    overrides = { SESSION_SECRET: NEXT, SESSION_SECRET_PREVIOUS: settings().SESSION_SECRET }
    advance(3 * 3600 * 1000)
    const renewed = await refresh(cookie)
    expect(renewed.status).toBe(200)
    expect(upstream().slice(-2)).toEqual(['refresh_token', 'userinfo'])
    overrides = { SESSION_SECRET: NEXT }
    const again = await refresh(cookieOf(renewed))
    expect(again.status).toBe(200)
    expect(upstream().slice(-2)).toEqual(['auth', 'userinfo'])
  })
})
