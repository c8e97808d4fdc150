import { createHash } from 'node:crypto'
import type { Store } from '@netlify/blobs'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { startBlobs } from '../test-support/blobs.ts'
import { fakeWechat, type FakeCall } from '../test-support/fake-wechat.ts'
import type { AccountDeps } from './account-token.ts'
import type { StoreFactory } from './stores.ts'

const APPID = 'wx0123456789abcdef'
const APPSECRET = 'the-app-secret-0123456789abcdef0'
const SESSION_SECRET = 'a-session-secret-for-tests-0123456789abcdef'
const STABLE = '/cgi-bin/stable_token'
const TICKET = '/cgi-bin/ticket/getticket'
const T0 = Date.UTC(2026, 11, 2, 4, 0, 0)
const S = 1000
const MIN = 60 * S

let blobs: Awaited<ReturnType<typeof startBlobs>>
beforeAll(async () => {
  blobs = await startBlobs()
})
afterAll(() => blobs.close())

/** Each test its own API base: its own memory entry and its own blobs. */
let base: string
let testNumber = 0
let clock: number
beforeEach(() => {
  base = `https://api-${++testNumber}.example.test`
  clock = T0
})

/** A fresh copy of the module: another instance, with a memory of its own. */
async function instance() {
  vi.resetModules()
  return import('./account-token.ts')
}

function deps(fetch: typeof globalThis.fetch, stores: StoreFactory = blobs.stores): AccountDeps {
  return {
    config: {
      appId: APPID,
      appSecret: APPSECRET,
      apiBase: base,
      timeoutMs: 1000,
      secrets: { current: SESSION_SECRET, previous: [] },
    },
    stores,
    fetch,
    now: () => clock,
    sleep: async () => {},
  }
}

const token = (access_token: string, expires_in = 7200) => ({ access_token, expires_in })
const ticket = (value: string, expires_in = 7200) => ({
  errcode: 0,
  errmsg: 'ok',
  ticket: value,
  expires_in,
})
const refused = (errcode: number) => ({ errcode, errmsg: `refused, rid: 1-2-3` })
/** getticket as WeChat: 40001 for the tokens in `dead`, else `answer`. */
const ticketUnless =
  (dead: string[], answer: Record<string, unknown>) =>
  (call: FakeCall): Record<string, unknown> =>
    dead.some((t) => call.path.includes(`access_token=${t}&`)) ? refused(40001) : answer

const stableCall = (force = false) => ({
  method: 'POST',
  path: STABLE,
  body: JSON.stringify({
    grant_type: 'client_credential',
    appid: APPID,
    secret: APPSECRET,
    force_refresh: force,
  }),
})
const ticketCall = (accessToken: string) => ({
  method: 'GET',
  path: `${TICKET}?access_token=${accessToken}&type=jsapi`,
  body: '',
})

const apiHash = () => createHash('sha256').update(base).digest('hex').slice(0, 16)
const blobKey = (name: string) => `${APPID}/${apiHash()}/${name}`
const kept = async (name: string) =>
  (await blobs.stores('account').get(blobKey(name), { type: 'json' })) as {
    kept?: {
      expiresAt: number
      refreshAt: number
      seenExpiresAt?: number
      id: string
      tokenId?: string
    }
    claim?: unknown
  } | null
const idOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16)

/**
 * The store as production answers it: reads carry their ETag. (The local server's do not,
 * and the module lists the key to learn it.)
 */
function withReadEtags(stores: StoreFactory): StoreFactory {
  return (name) => {
    const store = stores(name)
    return new Proxy(store, {
      get(target, property) {
        if (property !== 'getWithMetadata') {
          const value: unknown = Reflect.get(target, property)
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value
        }
        return async (key: string, options: { type: 'json' }) => {
          const { blobs: listed } = await target.list({ prefix: key })
          const etag = listed.find((blob) => blob.key === key)?.etag
          const read = await target.getWithMetadata(key, options)
          return read && { ...read, etag }
        }
      },
    }) as Store
  }
}

/** Runs `work` with console.error silenced. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const log = vi.spyOn(console, 'error').mockImplementation(() => {})
  try {
    return await work()
  } finally {
    log.mockRestore()
  }
}

describe.each([
  ['the local Blobs server (no ETag on reads)', (stores: StoreFactory) => stores],
  ['Blobs as in production (ETag on reads)', withReadEtags],
])('one token and one ticket for the whole site, on %s', (_name, storesOf) => {
  it('asks WeChat once: then memory serves, and another instance reads the store', async () => {
    const wechat = fakeWechat({ [STABLE]: token('83_GLOBAL_T1'), [TICKET]: ticket('TICKET_K1') })
    const stores = storesOf(blobs.stores)
    const first = await instance()
    expect(await first.jsapiTicket(deps(wechat.fetch, stores))).toBe('TICKET_K1')
    expect(wechat.calls).toEqual([stableCall(), ticketCall('83_GLOBAL_T1')])
    expect(await first.jsapiTicket(deps(wechat.fetch, stores))).toBe('TICKET_K1')
    const second = await instance()
    expect(await second.jsapiTicket(deps(wechat.fetch, stores))).toBe('TICKET_K1')
    expect(await second.accountAccessToken(deps(wechat.fetch, stores))).toBe('83_GLOBAL_T1')
    expect(wechat.calls).toHaveLength(2)
    // Kept sealed: neither value is in the store in the clear.
    const stored = JSON.stringify([await kept('token'), await kept('ticket')])
    expect(stored).not.toContain('GLOBAL_T1')
    expect(stored).not.toContain('TICKET_K1')
    // The ticket names the token it came with.
    expect((await kept('ticket'))?.kept).toMatchObject({ tokenId: idOf('83_GLOBAL_T1') })
    expect(await kept('token')).toEqual({
      kept: {
        sealed: expect.stringMatching(/^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/),
        id: idOf('83_GLOBAL_T1'),
        expiresAt: T0 + 7200 * S,
        refreshAt: T0 + 7200 * S - 5 * MIN,
      },
    })
  })

  it('two cold instances at once ask WeChat once between them', async () => {
    const wechat = fakeWechat({ [STABLE]: token('83_GLOBAL_T1'), [TICKET]: ticket('TICKET_K1') })
    const [a, b] = [await instance(), await instance()]
    const real = {
      ...deps(wechat.fetch, storesOf(blobs.stores)),
      sleep: undefined,
    }
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).jsapiTicket(real)),
    )
    expect(new Set(answers)).toEqual(new Set(['TICKET_K1']))
    expect(wechat.paths()).toEqual([STABLE, TICKET])
  })
})

describe('refreshing ahead of expiry', () => {
  it('asks again 5 minutes before the token expires, not a millisecond sooner', async () => {
    const wechat = fakeWechat({ [TICKET]: ticket('TICKET_K2') })
    wechat.next(STABLE, token('83_GLOBAL_T1'), token('83_GLOBAL_T2'))
    wechat.next(TICKET, ticket('TICKET_K1'))
    const { jsapiTicket } = await instance()
    await jsapiTicket(deps(wechat.fetch))
    clock = T0 + 7200 * S - 5 * MIN - 1
    expect(await jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K1')
    expect(wechat.calls).toHaveLength(2)
    clock += 1
    expect(await jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K2')
    expect(wechat.calls.slice(2)).toEqual([stableCall(), ticketCall('83_GLOBAL_T2')])
  })

  it('never keeps a ticket past the expiry of the token it came with', async () => {
    // A stable token answers the time it has left: here 10 minutes.
    const wechat = fakeWechat({ [STABLE]: token('83_GLOBAL_T2'), [TICKET]: ticket('TICKET_K1') })
    wechat.next(STABLE, token('83_GLOBAL_T1', 600))
    const { jsapiTicket } = await instance()
    await jsapiTicket(deps(wechat.fetch))
    expect((await kept('ticket'))?.kept).toMatchObject({
      expiresAt: T0 + 600 * S,
      refreshAt: T0 + 300 * S,
      seenExpiresAt: T0 + 7200 * S,
    })
    clock = T0 + 300 * S - 1
    await jsapiTicket(deps(wechat.fetch))
    expect(wechat.calls).toHaveLength(2)
    clock += 1
    await jsapiTicket(deps(wechat.fetch))
    expect(wechat.calls.slice(2)).toEqual([stableCall(), ticketCall('83_GLOBAL_T2')])
  })

  it('keeps the expiry a ticket was first seen with when WeChat answers it again', async () => {
    const wechat = fakeWechat({ [TICKET]: ticket('TICKET_K1') })
    wechat.next(STABLE, token('83_GLOBAL_T1'), token('83_GLOBAL_T2'))
    const { jsapiTicket } = await instance()
    await jsapiTicket(deps(wechat.fetch))
    // Ahead of the token's expiry: a new token, and WeChat's same ticket "for 7200 s" again.
    clock = T0 + 7200 * S - 5 * MIN
    expect(await jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K1')
    expect(wechat.calls.slice(2)).toEqual([stableCall(), ticketCall('83_GLOBAL_T2')])
    expect((await kept('ticket'))?.kept).toMatchObject({
      expiresAt: T0 + 7200 * S,
      seenExpiresAt: T0 + 7200 * S,
      // No other ticket is given out while it lives: it is not asked for again before.
      refreshAt: T0 + 7200 * S,
    })
    clock = T0 + 7200 * S - 1
    await jsapiTicket(deps(wechat.fetch))
    expect(wechat.calls).toHaveLength(4)
    wechat.next(TICKET, ticket('TICKET_K2'))
    clock += 1
    expect(await jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K2')
    expect(wechat.calls.slice(4)).toEqual([ticketCall('83_GLOBAL_T2')])
  })
})

describe('a token WeChat refuses (40001, 40014, 42001)', () => {
  it.each([40001, 40014, 42001])(
    'on %i, drops the kept token, fetches another and asks once more',
    async (errcode) => {
      const wechat = fakeWechat({ [TICKET]: ticket('TICKET_K2') })
      wechat.next(STABLE, token('83_GLOBAL_T1'), token('83_GLOBAL_T2'))
      // The first ticket lives 10 minutes, so it is due while the token is not.
      wechat.next(TICKET, ticket('TICKET_K1', 600), refused(errcode))
      const { jsapiTicket, accountAccessToken } = await instance()
      await jsapiTicket(deps(wechat.fetch))
      clock = T0 + 300 * S
      expect(await jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K2')
      expect(wechat.calls.slice(2)).toEqual([
        ticketCall('83_GLOBAL_T1'),
        stableCall(),
        ticketCall('83_GLOBAL_T2'),
      ])
      expect((await kept('token'))?.kept?.id).toBe(idOf('83_GLOBAL_T2'))
      const other = await instance()
      expect(await other.accountAccessToken(deps(wechat.fetch))).toBe('83_GLOBAL_T2')
      expect(await accountAccessToken(deps(wechat.fetch))).toBe('83_GLOBAL_T2')
      expect(wechat.calls).toHaveLength(5)
    },
  )

  it('leaves a newer token another instance kept, and uses it', async () => {
    const wechat = fakeWechat({
      [STABLE]: token('83_GLOBAL_T2'),
      [TICKET]: ticketUnless(['83_GLOBAL_T1'], ticket('TICKET_K3')),
    })
    wechat.next(STABLE, token('83_GLOBAL_T1'))
    wechat.next(TICKET, ticket('TICKET_K1', 600))
    const a = await instance()
    await a.jsapiTicket(deps(wechat.fetch))
    // Instance b meets the refusal first and keeps T2, with a ticket due a second later.
    clock = T0 + 300 * S
    wechat.next(TICKET, refused(40001), ticket('TICKET_K2', 301))
    const b = await instance()
    expect(await b.jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K2')
    expect(wechat.calls.slice(2)).toEqual([
      ticketCall('83_GLOBAL_T1'),
      stableCall(),
      ticketCall('83_GLOBAL_T2'),
    ])
    // a still holds T1 in memory; WeChat refuses it; T2 is kept, so a takes it, asking no token.
    clock += S
    expect(await a.jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K3')
    expect(wechat.calls.slice(5)).toEqual([ticketCall('83_GLOBAL_T1'), ticketCall('83_GLOBAL_T2')])
    expect((await kept('token'))?.kept?.id).toBe(idOf('83_GLOBAL_T2'))
  })

  it('does not retry with a token it has just been given: the refusal is the answer', async () => {
    const wechat = fakeWechat({ [STABLE]: token('83_GLOBAL_T1'), [TICKET]: refused(40001) })
    const { jsapiTicket } = await instance()
    await expect(jsapiTicket(deps(wechat.fetch))).rejects.toMatchObject({
      name: 'WechatError',
      endpoint: 'getticket',
      errcode: 40001,
    })
    expect(wechat.calls).toEqual([stableCall(), ticketCall('83_GLOBAL_T1')])
  })
})

describe('force_refresh', () => {
  /** T1 kept with a ticket due in 5 minutes; then WeChat refuses T1 and normal mode insists. */
  async function refusedAndInsisted() {
    const wechat = fakeWechat({
      [STABLE]: (call) =>
        JSON.parse(call.body).force_refresh ? token('83_GLOBAL_T2') : token('83_GLOBAL_T1'),
      [TICKET]: ticketUnless(['83_GLOBAL_T1'], ticket('TICKET_K2')),
    })
    wechat.next(TICKET, ticket('TICKET_K1', 600))
    const module = await instance()
    await module.jsapiTicket(deps(wechat.fetch))
    clock = T0 + 300 * S
    return { wechat, module }
  }

  it('forces a new token only when normal mode answers the one just refused', async () => {
    const { wechat, module } = await refusedAndInsisted()
    expect(await module.jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K2')
    expect(wechat.calls.slice(2)).toEqual([
      ticketCall('83_GLOBAL_T1'),
      stableCall(false),
      stableCall(true),
      ticketCall('83_GLOBAL_T2'),
    ])
    expect(await blobs.stores('account').get(blobKey('force'), { type: 'json' })).toEqual({
      day: '2026-12-02',
      count: 1,
      lastAt: T0 + 300 * S,
    })
  })

  it('not within 30 s of the last, site-wide', async () => {
    const { wechat, module } = await refusedAndInsisted()
    await blobs.stores('account').setJSON(blobKey('force'), {
      day: '2026-12-02',
      count: 1,
      lastAt: T0 + 300 * S - 29_999,
    })
    // The ticket in hand lives 5 more minutes, and serves meanwhile.
    expect(await quietly(() => module.jsapiTicket(deps(wechat.fetch)))).toBe('TICKET_K1')
    expect(wechat.calls.slice(2)).toEqual([
      ticketCall('83_GLOBAL_T1'),
      stableCall(false),
      ticketCall('83_GLOBAL_T1'),
    ])
  })

  it('not past 20 in a Beijing day; the count starts again at its midnight', async () => {
    const { wechat, module } = await refusedAndInsisted()
    await blobs.stores('account').setJSON(blobKey('force'), {
      day: '2026-12-02',
      count: 20,
      lastAt: T0 - 3600 * S,
    })
    clock = T0 + 600 * S
    await expect(module.jsapiTicket(deps(wechat.fetch))).rejects.toMatchObject({ errcode: 40001 })
    expect(wechat.calls.slice(2)).toEqual([
      ticketCall('83_GLOBAL_T1'),
      stableCall(false),
      ticketCall('83_GLOBAL_T1'),
    ])
    // 2026-12-02T04:00Z is 12:00 in Beijing; the 20 were counted on 12-01 there.
    await blobs.stores('account').setJSON(blobKey('force'), {
      day: '2026-12-01',
      count: 20,
      lastAt: T0 - 3600 * S,
    })
    expect(await module.jsapiTicket(deps(wechat.fetch))).toBe('TICKET_K2')
    expect(wechat.calls.filter((call) => call.body.includes('"force_refresh":true'))).toHaveLength(
      1,
    )
  })
})

describe('SESSION_SECRET rotation', () => {
  it('opens what an earlier secret sealed; what no secret opens is fetched again', async () => {
    const wechat = fakeWechat({ [STABLE]: token('83_GLOBAL_T1'), [TICKET]: ticket('TICKET_K1') })
    await (await instance()).jsapiTicket(deps(wechat.fetch))
    const rotated = (current: string, previous: string[]) => {
      const given = deps(wechat.fetch)
      return { ...given, config: { ...given.config, secrets: { current, previous } } }
    }
    const NEXT = 'the-next-session-secret-0123456789abcdef'
    expect(await (await instance()).jsapiTicket(rotated(NEXT, [SESSION_SECRET]))).toBe('TICKET_K1')
    expect(wechat.calls).toHaveLength(2)
    expect(await (await instance()).jsapiTicket(rotated(NEXT, []))).toBe('TICKET_K1')
    expect(wechat.paths()).toEqual([STABLE, TICKET, STABLE, TICKET])
  })
})

describe('where nothing is shared', () => {
  it('keeps apart two API bases of one appid, in memory and in the store', async () => {
    const one = fakeWechat({ [STABLE]: token('83_GLOBAL_ONE'), [TICKET]: ticket('TICKET_ONE') })
    const two = fakeWechat({ [STABLE]: token('83_GLOBAL_TWO'), [TICKET]: ticket('TICKET_TWO') })
    const { jsapiTicket } = await instance()
    const first = deps(one.fetch)
    expect(await jsapiTicket(first)).toBe('TICKET_ONE')
    const other = base.replace('https://api-', 'https://other-')
    const second = { ...deps(two.fetch), config: { ...first.config, apiBase: other } }
    expect(await jsapiTicket(second)).toBe('TICKET_TWO')
    expect(await jsapiTicket(first)).toBe('TICKET_ONE')
    expect([one.calls.length, two.calls.length]).toEqual([2, 2])
  })

  it('asks WeChat directly when Blobs is down, and says so in the log', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const wechat = fakeWechat({ [STABLE]: token('83_GLOBAL_T1'), [TICKET]: ticket('TICKET_K1') })
    const { jsapiTicket } = await instance()
    const down: StoreFactory = () => {
      throw new Error('no blobs here')
    }
    expect(await jsapiTicket({ ...deps(wechat.fetch, down), requestId: 'req-9' })).toBe('TICKET_K1')
    expect(wechat.paths()).toEqual([STABLE, TICKET])
    expect(log).toHaveBeenCalledWith(
      '[req-9] account ticket: blobs unavailable, asking wechat directly:',
      expect.objectContaining({ message: 'no blobs here' }),
    )
    log.mockRestore()
  })
})
