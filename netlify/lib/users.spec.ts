import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionUser } from '../../contract/index.ts'
import type { StoreFactory } from './stores.ts'
import { startBlobs } from '../test-support/blobs.ts'
import {
  forgetTokens,
  listUsers,
  readUser,
  recordProfile,
  recordSignIn,
  recordTokens,
} from './users.ts'
import { testUser } from '../test-support/users.ts'

const USER: SessionUser = testUser({
  openid: 'oUSER000000000000000000000001',
  unionid: 'oUNION00000000000000000000001',
  scope: 'snsapi_userinfo',
  nickname: '小明',
})

let blobs: { stores: StoreFactory; close: () => Promise<void> }
beforeAll(async () => {
  blobs = await startBlobs()
})
afterAll(() => blobs.close())

describe('user records', () => {
  it('keep the first and last sign-in, the count and the latest profile', async () => {
    const store = blobs.stores('users')
    await recordSignIn(store, USER, new Date('2026-01-01T00:00:00Z'), 'sealed-1')
    const second = await recordSignIn(
      store,
      { ...USER, nickname: '小明2' },
      new Date('2026-01-02T00:00:00Z'),
      'sealed-2',
    )
    expect(second).toEqual({
      openid: USER.openid,
      unionid: USER.unionid,
      profile: { ...USER, nickname: '小明2' },
      firstSignInAt: '2026-01-01T00:00:00.000Z',
      lastSignInAt: '2026-01-02T00:00:00.000Z',
      signInCount: 2,
      tokens: 'sealed-2',
    })
    expect(await store.get(USER.openid, { type: 'json' })).toEqual(second)
  })

  it('lose no update when one user signs in many times at once', async () => {
    const store = blobs.stores('users')
    const user = { ...USER, openid: 'oCONCURRENT00000000000000001' }
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        recordSignIn(store, user, new Date(Date.UTC(2026, 0, 1, i)), `sealed-${i}`),
      ),
    )
    const record = (await store.get(user.openid, { type: 'json' })) as { signInCount: number }
    expect(record.signInCount).toBe(6)
  })

  it('spend one list and one read per update where reads carry no ETag (local Blobs)', async () => {
    const store = blobs.stores('users')
    const user = { ...USER, openid: 'oONEREAD00000000000000000001' }
    await recordSignIn(store, user, new Date('2026-04-01T00:00:00Z'), 'sealed-1')
    const calls: string[] = []
    const logging = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        calls.push(String(property))
        return value.bind(target)
      },
    })
    const record = await recordSignIn(logging, user, new Date('2026-04-02T00:00:00Z'), 'sealed-2')
    expect(record.signInCount).toBe(2)
    // The count and the tokens in one write.
    expect(calls).toEqual(['list', 'get', 'setJSON'])
    expect(await readUser(store, user.openid)).toMatchObject({ signInCount: 2, tokens: 'sealed-2' })
  })

  it('write sign-ins that queue behind one another together, each caller seeing its own', async () => {
    const store = blobs.stores('users')
    const user = { ...USER, openid: 'oBATCHED00000000000000000001' }
    let writes = 0
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        if (property === 'setJSON') writes++
        return value.bind(target)
      },
    })
    const records = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        recordSignIn(counting, user, new Date(Date.UTC(2026, 1, 1, i)), `sealed-${i}`),
      ),
    )
    expect(records.map((r) => r.signInCount)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(records.map((r) => r.tokens)).toEqual(records.map((_, i) => `sealed-${i}`))
    expect(records[9]?.lastSignInAt).toBe('2026-02-01T09:00:00.000Z')
    // The first alone, the nine that queued meanwhile in one more.
    expect(writes).toBe(2)
    expect(await store.get(user.openid, { type: 'json' })).toEqual(records[9])
  })

  it('retry when another instance writes between the read and the conditional write', async () => {
    const store = blobs.stores('users')
    const user = { ...USER, openid: 'oRACED0000000000000000000001' }
    await recordSignIn(store, user, new Date('2026-03-01T00:00:00Z'), 'sealed-1')
    let raced = false
    // Another instance counts a sign-in right after this one has read the record.
    const racing = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (property !== 'setJSON' || raced)
          return typeof value === 'function' ? value.bind(target) : value
        return async (...args: Parameters<typeof store.setJSON>) => {
          raced = true
          await new Promise((resolve) => setTimeout(resolve, 5))
          const other = (await target.get(user.openid, { type: 'json' })) as { signInCount: number }
          await target.setJSON(user.openid, { ...other, signInCount: other.signInCount + 1 })
          await new Promise((resolve) => setTimeout(resolve, 5))
          return target.setJSON(...args)
        }
      },
    })
    const result = await recordSignIn(racing, user, new Date('2026-03-02T00:00:00Z'), 'sealed-2')
    expect(raced).toBe(true)
    expect(result.signInCount).toBe(3)
    expect(
      ((await store.get(user.openid, { type: 'json' })) as { signInCount: number }).signInCount,
    ).toBe(3)
  })

  it('keep a unionid once seen, and a refresh does not count as a sign-in', async () => {
    const store = blobs.stores('users')
    const { unionid: _drop, ...withoutUnion } = USER
    const user = { ...withoutUnion, openid: 'oREFRESH000000000000000000001' }
    await recordSignIn(
      store,
      { ...user, unionid: 'oU1' },
      new Date('2026-02-01T00:00:00Z'),
      'sealed-1',
    )
    const refreshed = await recordProfile(
      store,
      { ...user, nickname: '新昵称' },
      new Date('2026-02-02T00:00:00Z'),
    )
    expect(refreshed).toMatchObject({
      unionid: 'oU1',
      signInCount: 1,
      lastSignInAt: '2026-02-01T00:00:00.000Z',
      tokens: 'sealed-1',
    })
    expect(refreshed.profile.nickname).toBe('新昵称')
  })

  it('keep renewed tokens, forget them on sign-out, and not bring them back after', async () => {
    const store = blobs.stores('users')
    const user = { ...USER, openid: 'oTOKENS000000000000000000001' }
    await recordSignIn(store, user, new Date('2026-05-01T00:00:00Z'), 'sealed-1')
    expect(await recordTokens(store, user.openid, 'renewed')).toMatchObject({
      signInCount: 1,
      tokens: 'renewed',
    })
    expect(await forgetTokens(store, user.openid)).toMatchObject({ signInCount: 1, tokens: null })
    // A renewal that overlapped the sign-out lands after it.
    await recordTokens(store, user.openid, 'late')
    expect(await readUser(store, user.openid)).toMatchObject({ signInCount: 1, tokens: null })
    // A new sign-in brings its own.
    await recordSignIn(store, user, new Date('2026-05-02T00:00:00Z'), 'sealed-2')
    expect(await readUser(store, user.openid)).toMatchObject({ signInCount: 2, tokens: 'sealed-2' })
  })

  it('write nothing when a change leaves the record as it is, nor create one', async () => {
    const store = blobs.stores('users')
    const writes: string[] = []
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        if (['set', 'setJSON', 'delete'].includes(String(property))) writes.push(String(property))
        return value.bind(target)
      },
    })
    const nobody = 'oNOBODY000000000000000000001'
    expect(await forgetTokens(counting, nobody)).toBeNull()
    expect(await recordTokens(counting, nobody, 'renewed')).toBeNull()
    expect(await readUser(store, nobody)).toBeNull()
    const user = { ...USER, openid: 'oFORGOTTEN0000000000000000001' }
    await recordSignIn(store, user, new Date('2026-05-01T00:00:00Z'), 'sealed-1')
    await forgetTokens(store, user.openid)
    await forgetTokens(counting, user.openid)
    expect(writes).toEqual([])
  })

  it('list most recent first, without tokens', async () => {
    const users = await listUsers(blobs.stores('users'))
    expect(users.length).toBeGreaterThanOrEqual(3)
    const times = users.map((u) => u.lastSignInAt)
    expect(times).toEqual([...times].sort().reverse())
    expect(users.find((u) => u.openid === USER.openid)).toBeDefined()
    for (const user of users) expect(user).not.toHaveProperty('tokens')
  })
})
