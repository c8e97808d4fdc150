import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Emulator } from '../../emulator/server.ts'
import { startEmulator } from '../../emulator/test-support/index.ts'
import { emulatorEnv } from '../../scripts/emulator-env.ts'
import { startBlobs } from '../test-support/blobs.ts'
import type { HandlerEnv } from './handlers.ts'
import type { handleJssdkConfig } from './jssdk.ts'

/** `POST /api/wechat/jssdk-config` through the real handler, emulator and Blobs server. */
let emulator: Emulator
let blobs: Awaited<ReturnType<typeof startBlobs>>
let clock: number
let settings: Record<string, string | undefined>

beforeAll(async () => {
  emulator = await startEmulator({ now: Date.now })
})
afterAll(() => emulator.close())
beforeEach(async () => {
  emulator.reset()
  // A store of its own for each test: every test starts cold.
  blobs = await startBlobs()
  clock = Date.now()
  settings = { ...emulatorEnv(emulator.url) }
})
afterEach(() => blobs.close())

const MIN = 60_000
const HOUR = 60 * MIN

/** A fresh copy of the server's modules: one more instance, with a memory of its own. */
async function instance(): Promise<typeof handleJssdkConfig> {
  vi.resetModules()
  return (await import('./jssdk.ts')).handleJssdkConfig
}

function env(n = 0): HandlerEnv {
  return {
    env: (name) => settings[name],
    stores: blobs.stores,
    now: () => clock,
    requestId: `req-${n}`,
  }
}

/** Moves both clocks: ours and the emulator's. */
function advance(ms: number) {
  clock += ms
  emulator.advanceClock(ms)
}

const PAGE = 'http://localhost:8888/auth/callback?code=061Abc&state=9f86d0'

async function sign(handle: typeof handleJssdkConfig, n = 0, url = `${PAGE}#/profile`) {
  const response = await handle(
    new Request('http://localhost:8888/api/wechat/jssdk-config', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url }),
    }),
    env(n),
  )
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** Whether the answer is a signature of PAGE with the ticket the emulator holds valid now. */
function signedWithValidTicket(body: Record<string, unknown>): boolean {
  const [valid] = emulator.tickets()
  if (!valid) return false
  const text = `jsapi_ticket=${valid.ticket}&noncestr=${body.nonceStr}&timestamp=${body.timestamp}&url=${PAGE}`
  return body.signature === createHash('sha1').update(text).digest('hex')
}

const counts = () => {
  const { stable_token, token, getticket } = emulator.counts()
  return { stable_token, token, getticket }
}

describe('the whole site asks WeChat for one token and one ticket', () => {
  it('10 instances × 50 concurrent signatures from cold: 1 stable_token, 1 getticket', async () => {
    const instances: (typeof handleJssdkConfig)[] = []
    for (let n = 0; n < 10; n++) instances.push(await instance())
    const answers = await Promise.all(
      instances.flatMap((handle, n) => Array.from({ length: 50 }, () => sign(handle, n))),
    )
    expect(answers.filter((a) => a.status !== 200)).toEqual([])
    expect(answers.every((a) => signedWithValidTicket(a.body))).toBe(true)
    expect(new Set(answers.map((a) => a.body.nonceStr)).size).toBe(500)
    // Each instance makes one lookup for its 50 requests. Of the 10 lookups, one claims the
    // empty slot (onlyIfNew); a claim racing it is refused, or, where the local Blobs server
    // accepts both (it checks the condition without a lock), only the one left standing after
    // SETTLE_MS goes on. The others wait for its answer in the store. Hence 1, not 2.
    expect(counts()).toEqual({ stable_token: 1, token: 0, getticket: 1 })
  }, 30_000)

  it('renews the token 5 minutes ahead, and the ticket when WeChat has a new one', async () => {
    const handle = await instance()
    expect((await sign(handle)).status).toBe(200)
    expect(counts()).toEqual({ stable_token: 1, token: 0, getticket: 1 })
    advance(2 * HOUR - 5 * MIN - 1000)
    expect(signedWithValidTicket((await sign(handle)).body)).toBe(true)
    expect(counts()).toEqual({ stable_token: 1, token: 0, getticket: 1 })
    // A new token is out; WeChat answers the same ticket, which keeps its first expiry.
    advance(1000)
    expect(signedWithValidTicket((await sign(handle)).body)).toBe(true)
    expect(counts()).toEqual({ stable_token: 2, token: 0, getticket: 2 })
    const other = await instance()
    advance(5 * MIN - 1000)
    expect(signedWithValidTicket((await sign(other)).body)).toBe(true)
    expect(counts()).toEqual({ stable_token: 2, token: 0, getticket: 2 })
    // The ticket's end: a new one, with the token still good.
    advance(1000)
    expect(signedWithValidTicket((await sign(other)).body)).toBe(true)
    expect(signedWithValidTicket((await sign(handle)).body)).toBe(true)
    expect(counts()).toEqual({ stable_token: 2, token: 0, getticket: 3 })
  })

  it('drops a token WeChat calls expired (42001), takes a new one and signs', async () => {
    const handle = await instance()
    await sign(handle)
    advance(2 * HOUR - 5 * MIN)
    await sign(handle)
    expect(counts()).toEqual({ stable_token: 2, token: 0, getticket: 2 })
    // The ticket is due at its end; the kept token dies at WeChat just before.
    advance(5 * MIN)
    emulator.expireToken()
    const answer = await sign(handle)
    expect([answer.status, signedWithValidTicket(answer.body)]).toEqual([200, true])
    expect(
      emulator
        .log()
        .slice(-3)
        .map((entry) => [entry.endpoint, entry.errcode ?? 0]),
    ).toEqual([
      ['getticket', 42001],
      ['stable_token', 0],
      ['getticket', 0],
    ])
  })
})

describe('what only the operator can fix', () => {
  it.each([
    ['an IP whitelist without this server', { ipWhitelist: ['198.51.100.7'] }, 40164],
    ['a frozen AppSecret', { frozenSecret: true }, 40243],
  ])('%s: 500 misconfigured, logged once', async (_name, config, errcode) => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    emulator.setConfig(config)
    const handle = await instance()
    for (let n = 0; n < 3; n++) {
      expect(await sign(handle)).toEqual({
        status: 500,
        body: { error: { code: 'misconfigured', message: 'the service is misconfigured' } },
      })
    }
    expect(log).toHaveBeenCalledTimes(1)
    expect(log.mock.calls[0]?.[0]).toContain(`misconfigured: stable_token errcode ${errcode}`)
    expect(counts()).toEqual({ stable_token: 3, token: 0, getticket: 0 })
    log.mockRestore()
  })

  it('a wrong AppSecret (40125): 500 misconfigured', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    settings.WECHAT_APPSECRET = 'not-the-secret'
    expect((await sign(await instance())).body).toEqual({
      error: { code: 'misconfigured', message: 'the service is misconfigured' },
    })
    expect(log.mock.calls[0]?.[0]).toBe(
      '[req-0] misconfigured: stable_token errcode 40125: invalid appsecret (check WECHAT_APPID, WECHAT_APPSECRET and the server IP whitelist)',
    )
    expect(JSON.stringify(log.mock.calls)).not.toContain('not-the-secret')
    log.mockRestore()
  })
})
