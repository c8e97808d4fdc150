import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SessionUser } from '../../contract/index.ts'
import type { Emulator } from '../../emulator/server.ts'
import { obtainCode, startEmulator } from '../../emulator/test-support/index.ts'
import type { TestUserId } from '../../emulator/users.ts'
import { emulatorEnv } from '../../scripts/emulator-env.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { loginRequest } from '../test-support/login.ts'
import { handleSessionRefresh, handleWechatLogin, type HandlerEnv } from './handlers.ts'
import { readLoginRequest } from './http.ts'
import { readUser } from './users.ts'

/**
 * Silent sign-in (`LoginRequest.silent`) through the real handler, emulator and Blobs server:
 * a snsapi_base code signs in someone the site holds a profile for, with one WeChat call.
 */
let emulator: Emulator
let blobs: Awaited<ReturnType<typeof startBlobs>>
let clock: number
let env: HandlerEnv
/** The paths of the calls made to WeChat's API, in order (avatars are fetched apart). */
let wechat: string[]

beforeAll(async () => {
  emulator = await startEmulator({ now: Date.now })
})
afterAll(() => emulator.close())
beforeEach(async () => {
  emulator.reset()
  // A Blobs server of its own, so that everyone is unknown until the test signs them in.
  blobs = await startBlobs()
  clock = Date.now()
  wechat = []
  env = {
    env: (name) => (emulatorEnv(emulator.url) as Record<string, string | undefined>)[name],
    stores: blobs.stores,
    now: () => clock,
    requestId: 'req-silent',
    fetch: (input, init) => {
      const { pathname } = new URL(String(input))
      if (pathname.startsWith('/sns/')) wechat.push(pathname)
      return fetch(input, init)
    },
  }
})
afterEach(async () => {
  vi.restoreAllMocks()
  await blobs.close()
})

const login = async (code: string, silent?: boolean) => {
  // Events are ordered by their time: each sign-in a second after the one before.
  clock += 1000
  return handleWechatLogin(loginRequest(code, silent === undefined ? {} : { silent }), env)
}

const baseCode = (user: TestUserId = 'normal') =>
  obtainCode(emulator, { user, scope: 'snsapi_base' })

/** Signs `user` in with their consent, as the SPA does on a tap; answers their profile. */
async function consent(user: TestUserId = 'normal'): Promise<SessionUser> {
  const response = await login(await obtainCode(emulator, { user }))
  expect(response.status).toBe(200)
  wechat = []
  return ((await response.json()) as { user: SessionUser }).user
}

const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0]!

const keys = async () => (await blobs.stores('users').list()).blobs.map((blob) => blob.key).sort()
/** The kinds of the users' events, oldest first (one user's, as keys sort by time). */
const kinds = async () => (await keys()).map((key) => /\/\d{13}-([a-z]+)-/.exec(key)?.[1])

const PROFILE_REQUIRED = {
  error: { code: 'profile_required', message: 'the site holds no profile for this openid' },
}

describe('readLoginRequest', () => {
  const post = (fields: Record<string, unknown>) =>
    new Request('https://app.example/api/auth/wechat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: 'c', state: 's', verifier: 'v'.repeat(43), ...fields }),
    })

  it('passes silent on when it is true or false, and leaves it out when absent', async () => {
    expect((await readLoginRequest(post({ silent: true }))).silent).toBe(true)
    expect((await readLoginRequest(post({ silent: false }))).silent).toBe(false)
    expect('silent' in (await readLoginRequest(post({})))).toBe(false)
  })

  it.each([1, 'true', null, []])('refuses silent %j with bad_request', async (silent) => {
    await expect(readLoginRequest(post({ silent }))).rejects.toMatchObject({
      code: 'bad_request',
      message: 'silent must be true or false',
    })
  })
})

describe('POST /api/auth/wechat with silent', () => {
  it('signs a known person in with their stored profile: one WeChat call, no userinfo', async () => {
    const profile = await consent()
    expect(profile.scope).toBe('snsapi_userinfo')
    const before = (await readUser(blobs.stores('users'), profile.openid))!
    const response = await login(await baseCode(), true)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ user: profile, device: 'phone' })
    expect(cookieOf(response)).toMatch(/^__Host-wx_session=.+/)
    expect(wechat).toEqual(['/sns/oauth2/access_token'])
    expect(emulator.counts()).toMatchObject({ access_token: 2, userinfo: 1 })
    // Counted, with its profile, and the consent's grant is still the one 刷新资料 uses.
    expect(await readUser(blobs.stores('users'), profile.openid)).toEqual({
      ...before,
      lastSignInAt: new Date(clock).toISOString(),
      signInCount: 2,
    })
    expect(await kinds()).toEqual(['signin', 'silent'])
  })

  it('signs in silently again and again on the profile a silent sign-in carried on', async () => {
    const profile = await consent()
    for (let n = 0; n < 3; n++) {
      const response = await login(await baseCode(), true)
      expect([response.status, await response.json()]).toEqual([
        200,
        { user: profile, device: 'phone' },
      ])
    }
    expect(await readUser(blobs.stores('users'), profile.openid)).toMatchObject({
      signInCount: 4,
      profile,
    })
  })

  it('answers 422 profile_required for an openid the site never saw, signing in and keeping nothing', async () => {
    const response = await login(await baseCode(), true)
    expect([response.status, await response.json()]).toEqual([422, PROFILE_REQUIRED])
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(wechat).toEqual(['/sns/oauth2/access_token'])
    expect(await keys()).toEqual([])
  })

  it('answers profile_required when the last profile came from snsapi_base: openid only', async () => {
    const base = await login(await baseCode())
    const { user } = (await base.json()) as { user: SessionUser }
    expect([user.scope, user.nickname]).toEqual(['snsapi_base', ''])
    const before = await keys()
    const response = await login(await baseCode(), true)
    expect([response.status, await response.json()]).toEqual([422, PROFILE_REQUIRED])
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await keys()).toEqual(before)
  })

  it('signs in with the openid alone for a snsapi_base code without silent, as before', async () => {
    const profile = await consent()
    const response = await login(await baseCode())
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      user: {
        openid: profile.openid,
        scope: 'snsapi_base',
        nickname: '',
        headimgurl: '',
        sex: 0,
        province: '',
        city: '',
        country: '',
        privilege: [],
      },
      device: 'phone',
    })
    expect(wechat).toEqual(['/sns/oauth2/access_token'])
  })

  it('signs a snsapi_userinfo code in as always, silent or not', async () => {
    const profile = await consent()
    const response = await login(await obtainCode(emulator), true)
    expect([response.status, await response.json()]).toEqual([
      200,
      { user: profile, device: 'phone' },
    ])
    expect(wechat).toEqual(['/sns/oauth2/access_token', '/sns/userinfo'])
    expect(await kinds()).toEqual(['signin', 'signin'])
  })

  it('keeps the unionid a snsapi_base token carries, and the stored one when it carries none', async () => {
    const profile = await consent('no-unionid')
    expect(profile.unionid).toBeUndefined()
    const unionid = 'oUNIONFROMBASE00000000000001'
    emulator.addFault({
      endpoint: 'access_token',
      body: JSON.stringify({
        access_token: `83_${'a'.repeat(40)}`,
        expires_in: 7200,
        refresh_token: `83_${'r'.repeat(40)}`,
        openid: profile.openid,
        scope: 'snsapi_base',
        unionid,
      }),
    })
    const withUnion = await login(await baseCode('no-unionid'), true)
    expect(await withUnion.json()).toEqual({ user: { ...profile, unionid }, device: 'phone' })
    emulator.clearFaults()
    const later = await login(await baseCode('no-unionid'), true)
    expect(await later.json()).toEqual({ user: { ...profile, unionid }, device: 'phone' })
  })

  it('gives the snapshot user no snapshot identity on snsapi_base: unknown, profile_required', async () => {
    const response = await login(await baseCode('snapshot'), true)
    expect([response.status, await response.json()]).toEqual([422, PROFILE_REQUIRED])
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a snapshot identity (a snsapi_userinfo code) as before, silent or not', async () => {
    await consent()
    const response = await login(await obtainCode(emulator, { user: 'snapshot' }), true)
    expect([response.status, await response.json()]).toEqual([
      422,
      {
        error: {
          code: 'snapshot_user',
          message: 'snapshot-page users must open the full service first',
        },
      },
    ])
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('answers 500 internal, logged, signing no one in, when the stored profile cannot be read', async () => {
    await consent()
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const down = new Error('blobs unavailable')
    env.stores = () => {
      throw down
    }
    const response = await login(await baseCode(), true)
    expect([response.status, await response.json()]).toEqual([
      500,
      { error: { code: 'internal', message: 'the stored profile cannot be read now' } },
    ])
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(wechat).toEqual(['/sns/oauth2/access_token'])
    expect(log).toHaveBeenCalledWith('[req-silent] internal:', down)
  })
})

describe('刷新资料 after a silent sign-in', () => {
  it("re-reads the profile through the consent's grant, not the silent sign-in's base token", async () => {
    const profile = await consent()
    const silent = await login(await baseCode(), true)
    expect(silent.status).toBe(200)
    wechat = []
    clock += 1000
    const response = await handleSessionRefresh(
      new Request('https://app.example/api/session/refresh', {
        method: 'POST',
        headers: { cookie: cookieOf(silent) },
      }),
      env,
    )
    expect(response.status).toBe(200)
    // With the site's avatar copy whether or not the sign-in made one (avatars.spec.ts).
    expect(await response.json()).toMatchObject({ user: profile, device: 'phone' })
    // A snsapi_base grant would have stopped after /sns/auth: it may not read the profile.
    expect(wechat).toEqual(['/sns/auth', '/sns/userinfo'])
    expect(await readUser(blobs.stores('users'), profile.openid)).toMatchObject({
      signInCount: 2,
      profile,
    })
  })
})
