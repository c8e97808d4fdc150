import type { Store } from '@netlify/blobs'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Emulator } from '../../emulator/server.ts'
import { obtainCode, startEmulator } from '../../emulator/test-support/index.ts'
import type { TestUserId } from '../../emulator/users.ts'
import { emulatorEnv } from '../../scripts/emulator-env.ts'
import { startAvatarHost, type AvatarHost } from '../test-support/avatar-host.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { loginRequest } from '../test-support/login.ts'
import { testUser } from '../test-support/users.ts'
import {
  handleSession,
  handleSessionRefresh,
  handleSessions,
  handleWechatLogin,
  type HandlerEnv,
} from './handlers.ts'
import { isRevoked, revokeAllSessions, revokeSession } from './revocations.ts'
import type { StoreFactory } from './stores.ts'
import { readUser } from './users.ts'

/** Sign-out and 退出所有设备 through the real handlers, emulator and Blobs server. */
let emulator: Emulator
let avatarHost: AvatarHost
let blobs: Awaited<ReturnType<typeof startBlobs>>
let clock: number
let env: HandlerEnv

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
  // Never back: revocations and sign-ins are ordered by time, and tests sign the same users in.
  clock = Math.max((clock ?? 0) + 10_000, Date.now())
  const settings: Record<string, string | undefined> = {
    ...emulatorEnv(emulator.url),
    WECHAT_AVATAR_ORIGIN: avatarHost.url,
  }
  env = {
    env: (name) => settings[name],
    stores: blobs.stores,
    now: () => clock,
    requestId: 'req-revoke',
  }
})

const URL_BASE = 'https://app.example/api'
const NOT_SIGNED_IN = { error: { code: 'not_signed_in', message: 'not signed in' } }
const CLEARED = '__Host-wx_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure'

const cookieOf = (response: Response) =>
  (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''

async function signIn(user: TestUserId = 'normal') {
  const response = await handleWechatLogin(loginRequest(await obtainCode(emulator, { user })), env)
  expect(response.status).toBe(200)
  const { user: profile } = (await response.json()) as { user: { openid: string } }
  return { cookie: cookieOf(response), openid: profile.openid }
}

const get = (cookie: string) =>
  handleSession(new Request(`${URL_BASE}/session`, { headers: { cookie } }), env)
const signOut = (cookie: string) =>
  handleSession(new Request(`${URL_BASE}/session`, { method: 'DELETE', headers: { cookie } }), env)
const refresh = (cookie: string) =>
  handleSessionRefresh(
    new Request(`${URL_BASE}/session/refresh`, { method: 'POST', headers: { cookie } }),
    env,
  )
const signOutEverywhere = (cookie: string) =>
  handleSessions(
    new Request(`${URL_BASE}/sessions`, { method: 'DELETE', headers: { cookie } }),
    env,
  )

/** What the API answers: status, Set-Cookie and body. */
async function seen(response: Response) {
  const text = await response.text()
  return [response.status, response.headers.get('set-cookie'), text ? JSON.parse(text) : null]
}

const refused = [401, null, NOT_SIGNED_IN]

/** The WeChat calls made since `from`. */
const wechatCalls = (from = 0) =>
  emulator
    .log()
    .slice(from)
    .map((entry) => entry.endpoint)
    .filter((endpoint) => endpoint !== 'authorize' && endpoint !== 'confirm')

describe('sign-out (DELETE /api/session)', () => {
  it('ends the session for every copy of its cookie, on every endpoint', async () => {
    const { cookie } = await signIn()
    const copy = cookie
    expect((await get(copy)).status).toBe(200)

    expect(await seen(await signOut(cookie))).toEqual([204, CLEARED, null])

    const before = emulator.log().length
    expect(await seen(await get(copy))).toEqual(refused)
    expect(await seen(await refresh(copy))).toEqual(refused)
    expect(await seen(await signOutEverywhere(copy))).toEqual(refused)
    expect(wechatCalls(before)).toEqual([])
  })

  it('leaves a copy made before it unable to ride a later sign-in’s grant', async () => {
    const { cookie: copy, openid } = await signIn()
    await signOut(copy)
    clock += 1000
    const { cookie: fresh } = await signIn()

    const before = emulator.log().length
    expect(await seen(await refresh(copy))).toEqual(refused)
    expect(await seen(await get(copy))).toEqual(refused)
    expect(wechatCalls(before)).toEqual([])

    // A sign-out through the old copy forgets nothing of the new sign-in's grant.
    expect(await seen(await signOut(copy))).toEqual([204, CLEARED, null])
    expect((await readUser(blobs.stores('users'), openid))?.grant).not.toBeNull()
    const renewed = await refresh(fresh)
    expect(renewed.status).toBe(200)
    expect(cookieOf(renewed)).toMatch(/^__Host-wx_session=.+/)
    expect(wechatCalls(before)).toEqual(['auth', 'userinfo'])
  })

  it('ends the session whatever cookie of it signs out: the id survives re-issue', async () => {
    const { cookie: original } = await signIn()
    clock += 3600 * 1000
    const reissued = cookieOf(await get(original))
    expect(reissued).not.toBe(original)
    expect(reissued).toMatch(/^__Host-wx_session=.+/)
    await signOut(reissued)
    expect(await seen(await get(original))).toEqual(refused)
  })

  it('keeps forgetting the grant, and leaves the user’s other sessions open', async () => {
    const first = await signIn()
    clock += 1000
    const second = await signIn()
    await signOut(first.cookie)
    expect((await readUser(blobs.stores('users'), first.openid))?.grant).toBeNull()
    expect((await get(second.cookie)).status).toBe(200)
    // Its grant is gone with the sign-out, as before: 刷新资料 asks for a new authorization.
    const again = await refresh(second.cookie)
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('reauth_required')
  })
})

describe('退出所有设备 (DELETE /api/sessions)', () => {
  it('ends every session of the user and no one else’s; a sign-in after it stands', async () => {
    const phone = await signIn('normal')
    clock += 1000
    const laptop = await signIn('normal')
    const someoneElse = await signIn('emoji')
    expect(laptop.openid).toBe(phone.openid)
    expect(someoneElse.openid).not.toBe(phone.openid)

    expect(await seen(await signOutEverywhere(phone.cookie))).toEqual([204, CLEARED, null])

    const before = emulator.log().length
    for (const { cookie } of [phone, laptop]) {
      expect(await seen(await get(cookie))).toEqual(refused)
      expect(await seen(await refresh(cookie))).toEqual(refused)
      expect(await seen(await signOutEverywhere(cookie))).toEqual(refused)
    }
    expect(wechatCalls(before)).toEqual([])
    expect((await readUser(blobs.stores('users'), phone.openid))?.grant).toBeNull()
    expect((await get(someoneElse.cookie)).status).toBe(200)
    expect((await refresh(someoneElse.cookie)).status).toBe(200)

    clock += 1000
    const back = await signIn('normal')
    expect((await get(back.cookie)).status).toBe(200)
    expect((await refresh(back.cookie)).status).toBe(200)
    expect(await seen(await get(laptop.cookie))).toEqual(refused)
  })

  it('answers 401 not_signed_in without a session, and 405 for another method', async () => {
    expect(await seen(await signOutEverywhere(''))).toEqual(refused)
    const { cookie } = await signIn()
    const post = await handleSessions(
      new Request(`${URL_BASE}/sessions`, { method: 'POST', headers: { cookie } }),
      env,
    )
    expect([post.status, await post.json()]).toEqual([
      405,
      { error: { code: 'method_not_allowed', message: 'method POST is not allowed' } },
    ])
    expect((await get(cookie)).status).toBe(200)
  })
})

describe('the revocation check', () => {
  /** The stores, with every call on them logged as `store.method`. */
  function loggingStores(calls: string[]): StoreFactory {
    return (name) =>
      new Proxy(blobs.stores(name), {
        get(target, property) {
          const value: unknown = Reflect.get(target, property)
          if (typeof value !== 'function') return value
          calls.push(`${name}.${String(property)}`)
          return (value as (...args: unknown[]) => unknown).bind(target)
        },
      })
  }

  /** Stores whose `sessions` store fails every call, as in a Blobs outage. */
  const outage: StoreFactory = (name) => {
    if (name === 'sessions') throw new Error('blobs unavailable')
    return blobs.stores(name)
  }

  it('costs a session read one list of the sessions store, and nothing else', async () => {
    const { cookie } = await signIn()
    const calls: string[] = []
    env.stores = loggingStores(calls)
    expect((await get(cookie)).status).toBe(200)
    expect(calls).toEqual(['sessions.list'])
  })

  it('fails closed for 刷新资料 in a Blobs outage: no WeChat call on an unchecked session', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { cookie } = await signIn()
    env.stores = outage
    const before = emulator.log().length
    expect(await seen(await refresh(cookie))).toEqual([
      500,
      null,
      { error: { code: 'internal', message: 'the session cannot be checked now' } },
    ])
    expect(await seen(await signOutEverywhere(cookie))).toEqual([
      500,
      null,
      { error: { code: 'internal', message: 'the session cannot be checked now' } },
    ])
    expect(wechatCalls(before)).toEqual([])
    expect(log).toHaveBeenCalledWith('[req-revoke] internal:', expect.any(Error))
    log.mockRestore()
  })

  it('answers GET /api/session in a Blobs outage without renewing the cookie', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { cookie } = await signIn()
    clock += 3600 * 1000
    env.stores = outage
    const response = await get(cookie)
    expect(response.status).toBe(200)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(log).toHaveBeenCalledWith('[req-revoke] session check failed:', expect.any(Error))
    log.mockRestore()
  })

  it('clears the cookie of a sign-out it cannot record, and says so', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { cookie } = await signIn()
    env.stores = outage
    expect(await seen(await signOut(cookie))).toEqual([
      500,
      CLEARED,
      { error: { code: 'internal', message: 'the session could not be ended' } },
    ])
    env.stores = blobs.stores
    expect((await get(cookie)).status).toBe(200)
    log.mockRestore()
  })
})

describe('revocations', () => {
  const T = 1_800_000_000
  let serial = 0
  const someone = () => testUser({ openid: `oREVOKE${String(++serial).padStart(21, '0')}` })
  const session = (user = someone(), sid = 'S'.repeat(22), authTime = T) => ({
    user,
    sid,
    authTime,
  })
  const store = (): Store => blobs.stores('sessions')

  it('end one session by its id, for that user only', async () => {
    const mine = session()
    await revokeSession(store(), mine.user.openid, mine.sid, T)
    expect(await isRevoked(store(), mine)).toBe(true)
    expect(await isRevoked(store(), { ...mine, sid: 'T'.repeat(22) })).toBe(false)
    expect(await isRevoked(store(), session(someone(), mine.sid))).toBe(false)
  })

  it('end every session signed in at or before the time, and none after', async () => {
    const user = someone()
    await revokeAllSessions(store(), user.openid, T)
    expect(await isRevoked(store(), session(user, 'A'.repeat(22), T - 3600))).toBe(true)
    // Whole seconds cannot order a sign-in within the revoking second: it is ended too.
    expect(await isRevoked(store(), session(user, 'B'.repeat(22), T))).toBe(true)
    expect(await isRevoked(store(), session(user, 'C'.repeat(22), T + 1))).toBe(false)
    expect(await isRevoked(store(), session(someone(), 'A'.repeat(22), T - 3600))).toBe(false)
  })

  it('are separate blobs, written once and never overwritten', async () => {
    const user = someone()
    const prefix = `${user.openid}/`
    await revokeSession(store(), user.openid, 'A'.repeat(22), T)
    await revokeSession(store(), user.openid, 'A'.repeat(22), T + 60)
    await revokeAllSessions(store(), user.openid, T)
    await revokeAllSessions(store(), user.openid, T)
    await revokeAllSessions(store(), user.openid, T + 1)
    const { blobs: listed } = await store().list({ prefix })
    expect(listed.map(({ key }) => key.slice(prefix.length)).sort()).toEqual([
      `all-${T}`,
      `all-${T + 1}`,
      `sid-${'A'.repeat(22)}`,
    ])
    expect(await store().get(`${prefix}sid-${'A'.repeat(22)}`, { type: 'json' })).toEqual({
      at: new Date(T * 1000).toISOString(),
    })
  })

  it('keep a user’s prefix apart from a longer openid that starts with it', async () => {
    const short = testUser({ openid: 'oPREFIX' })
    const long = testUser({ openid: 'oPREFIXLONGER' })
    await revokeAllSessions(store(), long.openid, T)
    expect(await isRevoked(store(), session(short, 'A'.repeat(22), T - 1))).toBe(false)
  })
})
