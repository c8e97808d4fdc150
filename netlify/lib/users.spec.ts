import type { Store } from '@netlify/blobs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { SessionUser } from '../../contract/index.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { inPool } from '../test-support/pool.ts'
import { testUser } from '../test-support/users.ts'
import {
  listUsers,
  readGrant,
  readUser,
  recordForget,
  recordProfile,
  recordRenewal,
  recordSignIn,
} from './users.ts'

const USER: SessionUser = testUser({
  openid: 'oUSER000000000000000000000001',
  unionid: 'oUNION00000000000000000000001',
  scope: 'snsapi_userinfo',
  nickname: '小明',
})
const T0 = Date.UTC(2026, 0, 1)
const at = (minutes: number) => new Date(T0 + minutes * 60_000)

let blobs: Awaited<ReturnType<typeof startBlobs>>
beforeAll(async () => {
  blobs = await startBlobs()
})
afterAll(() => blobs.close())

/** The store, with every call made on it logged as `method`. */
function logged(store: Store, calls: string[]): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      calls.push(String(property))
      return value.bind(target)
    },
  })
}

let serial = 0
/** A user of their own, so no test sees another's events. */
const someone = (fields: Partial<SessionUser> = {}) =>
  ({ ...USER, openid: `oUSER${String(++serial).padStart(23, '0')}`, ...fields }) as SessionUser

describe('user records', () => {
  it('keep the first and last sign-in, the count, the latest profile and its grant', async () => {
    const store = blobs.stores('users')
    const user = someone()
    await recordSignIn(store, user, at(0), 'sealed-1')
    const second = await recordSignIn(store, { ...user, nickname: '小明2' }, at(60), 'sealed-2')
    expect(await readUser(store, user.openid)).toEqual({
      openid: user.openid,
      unionid: USER.unionid,
      profile: { ...user, nickname: '小明2' },
      firstSignInAt: '2026-01-01T00:00:00.000Z',
      lastSignInAt: '2026-01-01T01:00:00.000Z',
      signInCount: 2,
      grant: { signIn: second, sealed: 'sealed-2' },
    })
  })

  it('write each event as one new blob, keyed by openid, time and kind', async () => {
    const calls: string[] = []
    const store = logged(blobs.stores('users'), calls)
    const user = someone()
    const key = await recordSignIn(store, user, at(0), 'sealed-1')
    expect(calls).toEqual(['setJSON'])
    expect(key).toMatch(new RegExp(`^${user.openid}/${T0}-signin-[0-9a-f]{16}$`))
    expect(await recordProfile(store, user, new Date(5))).toMatch(
      new RegExp(`^${user.openid}/0000000000005-profile-[0-9a-f]{16}$`),
    )
    expect(await recordRenewal(store, user.openid, key, 'renewed', at(1))).toMatch(/-renewal-/)
    expect(await recordForget(store, user.openid, at(2))).toMatch(/-forget-/)
    const { blobs: listed } = await blobs.stores('users').list({ prefix: `${user.openid}/` })
    expect(listed.map((blob) => blob.key.split('-')[1]).sort()).toEqual([
      'forget',
      'profile',
      'renewal',
      'signin',
    ])
    expect(await blobs.stores('users').get(key, { type: 'json' })).toEqual({
      profile: user,
      grant: 'sealed-1',
    })
  })

  it('count exactly 200 sign-ins of 5 users at once, 50 at a time, keeping each newest grant', async () => {
    const store = blobs.stores('users')
    const users = Array.from({ length: 5 }, () => someone())
    const signIns = Array.from({ length: 200 }, (_, i) => ({ user: users[i % 5]!, i }))
    await inPool(signIns, 50, ({ user, i }) => recordSignIn(store, user, at(i), `sealed-${i}`))
    for (const [n, user] of users.entries()) {
      const record = await readUser(store, user.openid)
      expect(record).toMatchObject({
        signInCount: 40,
        firstSignInAt: at(n).toISOString(),
        lastSignInAt: at(195 + n).toISOString(),
      })
      expect(record?.grant?.sealed).toBe(`sealed-${195 + n}`)
    }
  })

  it('count exactly when many instances sign one user in at once, sharing no state', async () => {
    // Each a fresh copy of this module, as each function call is under `netlify dev`.
    const instances: (typeof import('./users.ts'))[] = []
    for (let n = 0; n < 4; n++) {
      vi.resetModules()
      instances.push(await import('./users.ts'))
    }
    const user = someone()
    await inPool(
      Array.from({ length: 40 }, (_, i) => i),
      40,
      (i) => instances[i % 4]!.recordSignIn(blobs.stores('users'), user, at(i), `sealed-${i}`),
    )
    expect((await readUser(blobs.stores('users'), user.openid))?.signInCount).toBe(40)
  })

  it('keep a unionid once seen, and a refresh does not count as a sign-in', async () => {
    const store = blobs.stores('users')
    const { unionid: _drop, ...withoutUnion } = someone()
    await recordSignIn(store, { ...withoutUnion, unionid: 'oU1' }, at(0), 'sealed-1')
    await recordSignIn(store, withoutUnion, at(1), 'sealed-2')
    await recordProfile(store, { ...withoutUnion, nickname: '新昵称' }, at(2))
    expect(await readUser(store, withoutUnion.openid)).toMatchObject({
      unionid: 'oU1',
      profile: { nickname: '新昵称' },
      signInCount: 2,
      lastSignInAt: at(1).toISOString(),
      grant: { sealed: 'sealed-2' },
    })
  })

  it('apply a renewal to the grant of the sign-in it names only', async () => {
    const store = blobs.stores('users')
    const user = someone()
    const older = await recordSignIn(store, user, at(0), 'sealed-older')
    const newer = await recordSignIn(store, user, at(1), 'sealed-newer')
    // A refresh that read the older grant renews it after the newer sign-in.
    await recordRenewal(store, user.openid, older, 'renewed-older', at(2))
    expect(await readGrant(store, user.openid)).toEqual({ signIn: newer, sealed: 'sealed-newer' })
    await recordRenewal(store, user.openid, newer, 'renewed-newer', at(3))
    await recordRenewal(store, user.openid, older, 'renewed-older-again', at(4))
    expect(await readGrant(store, user.openid)).toEqual({ signIn: newer, sealed: 'renewed-newer' })
  })

  it('forget the grant, and a renewal after the forget does not bring it back', async () => {
    const store = blobs.stores('users')
    const user = someone()
    const signIn = await recordSignIn(store, user, at(0), 'sealed-1')
    await recordRenewal(store, user.openid, signIn, 'renewed', at(1))
    expect(await readGrant(store, user.openid)).toEqual({ signIn, sealed: 'renewed' })
    await recordForget(store, user.openid, at(2))
    // A refresh that overlapped the sign-out lands after it.
    await recordRenewal(store, user.openid, signIn, 'late', at(3))
    expect(await readGrant(store, user.openid)).toBeNull()
    expect(await readUser(store, user.openid)).toMatchObject({ signInCount: 1, grant: null })
    const again = await recordSignIn(store, user, at(4), 'sealed-2')
    expect(await readGrant(store, user.openid)).toEqual({ signIn: again, sealed: 'sealed-2' })
  })

  it('let a sign-out in the same millisecond as the sign-in forget its grant', async () => {
    const store = blobs.stores('users')
    for (let n = 0; n < 5; n++) {
      const user = someone()
      await recordForget(store, user.openid, at(0))
      await recordSignIn(store, user, at(0), 'sealed-1')
      expect(await readGrant(store, user.openid)).toBeNull()
    }
  })

  it('read the grant with one list and one body', async () => {
    const user = someone()
    const signIn = await recordSignIn(blobs.stores('users'), user, at(0), 'sealed-1')
    for (const n of [1, 2, 3]) {
      await recordRenewal(blobs.stores('users'), user.openid, signIn, `renewed-${n}`, at(n))
      await recordProfile(blobs.stores('users'), user, at(n))
    }
    const calls: string[] = []
    const grant = await readGrant(logged(blobs.stores('users'), calls), user.openid)
    expect(grant).toEqual({ signIn, sealed: 'renewed-3' })
    expect(calls).toEqual(['list', 'get'])
  })

  it('count a silent sign-in and keep its profile, leaving the grant and its renewals in place', async () => {
    const store = blobs.stores('users')
    const user = someone()
    const signIn = await recordSignIn(store, user, at(0), 'sealed-1')
    const silent = await recordSignIn(store, { ...user, nickname: '静默' }, at(1), null)
    expect(silent).toMatch(new RegExp(`^${user.openid}/\\d{13}-silent-[0-9a-f]{16}$`))
    expect(await store.get(silent, { type: 'json' })).toEqual({
      profile: { ...user, nickname: '静默' },
    })
    // A refresh that read the grant before the silent sign-in renews it after.
    await recordRenewal(store, user.openid, signIn, 'renewed', at(2))
    expect(await readUser(store, user.openid)).toEqual({
      openid: user.openid,
      unionid: USER.unionid,
      profile: { ...user, nickname: '静默' },
      firstSignInAt: at(0).toISOString(),
      lastSignInAt: at(1).toISOString(),
      signInCount: 2,
      grant: { signIn, sealed: 'renewed' },
    })
    const calls: string[] = []
    expect(await readGrant(logged(store, calls), user.openid)).toEqual({
      signIn,
      sealed: 'renewed',
    })
    expect(calls).toEqual(['list', 'get'])
  })

  it('never bring a forgotten grant back with a silent sign-in', async () => {
    const store = blobs.stores('users')
    const user = someone()
    await recordSignIn(store, user, at(0), 'sealed-1')
    await recordForget(store, user.openid, at(1))
    await recordSignIn(store, user, at(2), null)
    expect(await readUser(store, user.openid)).toMatchObject({ signInCount: 2, grant: null })
  })

  it('hold no grant when only silent sign-ins were recorded', async () => {
    const store = blobs.stores('users')
    const user = someone()
    await recordSignIn(store, user, at(0), null)
    expect(await readUser(store, user.openid)).toMatchObject({ signInCount: 1, grant: null })
  })

  it('make no user of events before a first sign-in', async () => {
    const store = blobs.stores('users')
    const user = someone()
    expect(await readUser(store, user.openid)).toBeNull()
    await recordForget(store, user.openid, at(0))
    expect(await readUser(store, user.openid)).toBeNull()
    expect((await listUsers(store)).map((u) => u.openid)).not.toContain(user.openid)
  })

  it('list everyone most recent first, without grants', async () => {
    const store = blobs.stores('users')
    const latest = someone({ nickname: '最新' })
    await recordSignIn(store, latest, at(10_000), 'sealed-latest')
    const users = await listUsers(store)
    expect(users.length).toBeGreaterThanOrEqual(10)
    expect(users[0]).toEqual({
      openid: latest.openid,
      unionid: latest.unionid,
      profile: latest,
      firstSignInAt: at(10_000).toISOString(),
      lastSignInAt: at(10_000).toISOString(),
      signInCount: 1,
    })
    const times = users.map((u) => u.lastSignInAt)
    expect(times).toEqual([...times].sort().reverse())
    expect(JSON.stringify(users)).not.toMatch(/sealed|renewed|grant/)
  })
})
