import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { getStableToken, getToken, type CgiCall } from './cgi-bin'
import { EMULATOR_APPID, EMULATOR_APPSECRET } from './defaults'
import type { Emulator } from './server'
import { EmulatorState } from './state'
import {
  errorSeen,
  exchange,
  obtainCode,
  postApi,
  sns,
  startEmulator,
  T0,
  wechatError,
} from './test-support/index.ts'

const emulator: Emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

const TOKEN = /^83_[A-Za-z0-9_-]{107}$/
const TICKET = /^[A-Za-z0-9_-]{86}$/
const S = 1000
const MINUTE = 60 * S
const HOUR = 60 * MINUTE
/** T0 is 16:00 in Beijing, where WeChat's days start. */
const TO_BEIJING_MIDNIGHT = 8 * HOUR

type Answer = Awaited<ReturnType<typeof sns>>

const stable = (fields: Record<string, unknown> = {}) =>
  postApi(emulator, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: emulator.appId,
    secret: emulator.appSecret,
    ...fields,
  })

const token = (params: Record<string, string> = {}) =>
  sns(emulator, '/cgi-bin/token', {
    grant_type: 'client_credential',
    appid: emulator.appId,
    secret: emulator.appSecret,
    ...params,
  })

const ticket = (accessToken: string, type = 'jsapi') =>
  sns(emulator, '/cgi-bin/ticket/getticket', { access_token: accessToken, type })

const tokenOf = (answer: Answer) => String(answer.body.access_token)

/** What a call carrying the token is answered: 0 while it works, else the errcode. */
async function tokenWorks(accessToken: string): Promise<unknown> {
  return (await ticket(accessToken)).body.errcode
}

function advance(ms: number): void {
  emulator.advanceClock(ms)
}

const NOT_LATEST = 'invalid credential, access_token is invalid or not latest'

describe('/cgi-bin/stable_token', () => {
  it('issues a token for 7200 s, as text/plain JSON', async () => {
    const answer = await stable({ force_refresh: false })

    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain')
    expect(answer.body.access_token).toMatch(TOKEN)
    expect(answer.text).toBe(JSON.stringify({ access_token: tokenOf(answer), expires_in: 7200 }))
  })

  it('answers the same token with the time it has left, never longer', async () => {
    const first = tokenOf(await stable())
    advance(1000 * S + 400)

    const again = await stable({ force_refresh: false })

    expect(again.body).toEqual({ access_token: first, expires_in: 6199 })
  })

  it('answers the same token up to its last 5 minutes, with 301 s left', async () => {
    const first = tokenOf(await stable())
    advance(6899 * S)

    expect((await stable()).body).toEqual({ access_token: first, expires_in: 301 })
  })

  it('in its last 5 minutes issues the next one; the old one works until it expires', async () => {
    const old = tokenOf(await stable())
    advance(6900 * S)

    const renewed = await stable()
    const next = tokenOf(renewed)
    advance(299 * S)
    const later = await stable()

    expect(next).not.toBe(old)
    expect(renewed.body).toEqual({ access_token: next, expires_in: 7200 })
    expect(later.body).toEqual({ access_token: next, expires_in: 6901 })
    expect(await tokenWorks(old)).toBe(0)
    advance(1 * S)
    expect(errorSeen(await ticket(old))).toEqual(wechatError(42001, 'access_token expired'))
    expect(await tokenWorks(next)).toBe(0)
  })

  it('issues a new token once the old one expired', async () => {
    const old = tokenOf(await stable())
    advance(2 * HOUR)

    const answer = await stable()

    expect(tokenOf(answer)).not.toBe(old)
    expect(answer.body.expires_in).toBe(7200)
  })

  it('force_refresh kills the old token at once and issues a new one', async () => {
    const old = tokenOf(await stable())
    advance(MINUTE)

    const forced = await stable({ force_refresh: true })

    expect(tokenOf(forced)).not.toBe(old)
    expect(forced.body.expires_in).toBe(7200)
    expect(errorSeen(await ticket(old))).toEqual(wechatError(40001, NOT_LATEST))
    expect((await stable()).body).toEqual({ access_token: tokenOf(forced), expires_in: 7200 })
  })

  it('does not rotate on a force_refresh within 30 s of the last one', async () => {
    const first = tokenOf(await stable({ force_refresh: true }))
    advance(29 * S)

    const tooSoon = await stable({ force_refresh: true })
    advance(1 * S)
    const inTime = await stable({ force_refresh: true })

    expect(tooSoon.body).toEqual({ access_token: first, expires_in: 7171 })
    expect(tokenOf(inTime)).not.toBe(first)
  })

  it('allows 20 force_refresh a day, then 45009 until midnight in Beijing', async () => {
    const forced: string[] = []
    for (let i = 0; i < 20; i++) {
      forced.push(tokenOf(await stable({ force_refresh: true })))
      advance(30 * S)
    }

    const refused = await stable({ force_refresh: true })
    const normal = await stable()
    advance(TO_BEIJING_MIDNIGHT - 20 * 30 * S - 30 * S)
    const lastDay = await stable({ force_refresh: true })
    advance(30 * S)
    const nextDay = await stable({ force_refresh: true })

    expect(new Set(forced).size).toBe(20)
    expect(errorSeen(refused)).toEqual(wechatError(45009, 'reach max api daily quota limit'))
    expect(tokenOf(normal)).toBe(forced[19])
    expect(lastDay.body.errcode).toBe(45009)
    expect(tokenOf(nextDay)).toMatch(TOKEN)
    expect(tokenOf(nextDay)).not.toBe(forced[19])
  })

  it('leaves the token of /cgi-bin/token alone, even when forced', async () => {
    const plain = tokenOf(await token())
    await stable()
    await stable({ force_refresh: true })
    advance(5 * MINUTE)

    expect(await tokenWorks(plain)).toBe(0)
  })

  it('keeps its token when /cgi-bin/token is called', async () => {
    const stableToken = tokenOf(await stable())
    await token()
    await token()
    advance(5 * MINUTE)

    expect(await tokenWorks(stableToken)).toBe(0)
    expect((await stable()).body.access_token).toBe(stableToken)
  })

  it.each([
    ['no appid', { appid: undefined }, 41002, 'appid missing'],
    ['an empty appid', { appid: '' }, 41002, 'appid missing'],
    ['no secret', { secret: undefined }, 41004, 'appsecret missing'],
    ['no secret and a wrong appid', { secret: '', appid: 'wx0' }, 41004, 'appsecret missing'],
    ['no grant_type', { grant_type: undefined }, 40002, 'invalid grant_type'],
    ['another grant_type', { grant_type: 'authorization_code' }, 40002, 'invalid grant_type'],
    ['an unknown appid', { appid: 'wx0000000000000000' }, 40013, 'invalid appid'],
    ['a wrong secret', { secret: 'f'.repeat(32) }, 40125, 'invalid appsecret'],
    ['force_refresh as a string', { force_refresh: 'true' }, 47001, 'data format error'],
    ['an appid that is not a string', { appid: 1 }, 47001, 'data format error'],
  ])('answers %s with its errcode', async (_name, fields, errcode, errmsg) => {
    expect(errorSeen(await stable(fields))).toEqual(wechatError(errcode, errmsg))
    expect(emulator.log().at(-1)).toMatchObject({ endpoint: 'stable_token', errcode })
  })

  it('answers 47001 to a body that is not a JSON object', async () => {
    for (const body of ['grant_type=client_credential', '[]', '']) {
      expect(errorSeen(await postApi(emulator, '/cgi-bin/stable_token', body))).toEqual(
        wechatError(47001, 'data format error'),
      )
    }
  })

  it('answers 43002 to a GET, even with the parameters in the query', async () => {
    const answer = await sns(emulator, '/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: emulator.appId,
      secret: emulator.appSecret,
    })

    expect(errorSeen(answer)).toEqual(wechatError(43002, 'require POST method'))
    expect(emulator.log()).toEqual([
      {
        at: T0,
        endpoint: 'stable_token',
        query: { grant_type: 'client_credential', appid: emulator.appId, secret: '***' },
        errcode: 43002,
      },
    ])
  })
})

describe('/cgi-bin/token', () => {
  it('issues a token for 7200 s, as text/plain JSON', async () => {
    const answer = await token()

    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain')
    expect(answer.body.access_token).toMatch(TOKEN)
    expect(answer.text).toBe(JSON.stringify({ access_token: tokenOf(answer), expires_in: 7200 }))
  })

  it('issues a new token on every call; the previous one dies 5 minutes later', async () => {
    const first = tokenOf(await token())
    advance(MINUTE)
    const second = await token()

    expect(tokenOf(second)).not.toBe(first)
    expect(second.body.expires_in).toBe(7200)
    advance(5 * MINUTE - 1)
    expect(await tokenWorks(first)).toBe(0)
    advance(1)
    expect(errorSeen(await ticket(first))).toEqual(wechatError(40001, NOT_LATEST))
    expect(await tokenWorks(tokenOf(second))).toBe(0)
  })

  it('lets an instance that fetched later kill the token another instance holds', async () => {
    const held = tokenOf(await token())
    for (let i = 0; i < 3; i++) await token()
    advance(5 * MINUTE)

    expect(errorSeen(await ticket(held))).toEqual(wechatError(40001, NOT_LATEST))
  })

  it('lets a replaced token that expires within the 5 minutes expire: 42001', async () => {
    const old = tokenOf(await token())
    advance(7200 * S - MINUTE)
    await token()
    advance(MINUTE)

    expect(errorSeen(await ticket(old))).toEqual(wechatError(42001, 'access_token expired'))
  })

  it('accepts POST with the parameters in the query', async () => {
    const query = new URLSearchParams({
      grant_type: 'client_credential',
      appid: emulator.appId,
      secret: emulator.appSecret,
    })
    const response = await fetch(`${emulator.url}/cgi-bin/token?${query}`, {
      method: 'POST',
      body: 'ignored',
    })

    expect(await response.json()).toEqual({
      access_token: expect.stringMatching(TOKEN),
      expires_in: 7200,
    })
  })

  it('answers 45009 past the daily quota, until midnight in Beijing', async () => {
    emulator.setConfig({ tokenDailyQuota: 3 })
    const issued = [await token(), await token(), await token()].map(tokenOf)

    const refused = await token()
    expect(await tokenWorks(issued[2] ?? '')).toBe(0)
    advance(TO_BEIJING_MIDNIGHT - 1)
    const stillRefused = await token()
    advance(1)
    const nextDay = await token()

    expect(issued.every((value) => TOKEN.test(value))).toBe(true)
    expect(errorSeen(refused)).toEqual(wechatError(45009, 'reach max api daily quota limit'))
    expect(stillRefused.body.errcode).toBe(45009)
    expect(nextDay.body.expires_in).toBe(7200)
  })

  it.each([
    ['no appid', { appid: '' }, 41002, 'appid missing'],
    ['no secret', { secret: '' }, 41004, 'appsecret missing'],
    ['no secret and no appid', { secret: '', appid: '' }, 41002, 'appid missing'],
    ['no grant_type', { grant_type: '' }, 40002, 'invalid grant_type'],
    ['another grant_type', { grant_type: 'authorization_code' }, 40002, 'invalid grant_type'],
    ['an unknown appid', { appid: 'wx0000000000000000' }, 40013, 'invalid appid'],
    ['a wrong secret', { secret: 'f'.repeat(32) }, 40001, NOT_LATEST],
  ])('answers %s with its errcode', async (_name, params, errcode, errmsg) => {
    expect(errorSeen(await token(params))).toEqual(wechatError(errcode, errmsg))
    expect(emulator.log().at(-1)).toMatchObject({ endpoint: 'token', errcode })
  })

  it('takes the quota as an option, as for a 测试号, and reset gives the day back', async () => {
    const sandbox = await startEmulator({ tokenDailyQuota: 1 })
    const call = () =>
      sns(sandbox, '/cgi-bin/token', {
        grant_type: 'client_credential',
        appid: sandbox.appId,
        secret: sandbox.appSecret,
      })
    try {
      expect((await call()).body.expires_in).toBe(7200)
      expect((await call()).body.errcode).toBe(45009)
      sandbox.reset()
      expect((await call()).body.expires_in).toBe(7200)
    } finally {
      await sandbox.close()
    }
  })

  it('does not count refused calls against the quota', async () => {
    emulator.setConfig({ tokenDailyQuota: 1 })
    await token({ secret: 'wrong' })

    expect((await token()).body.expires_in).toBe(7200)
  })
})

describe('the token endpoints: IP whitelist and frozen secret', () => {
  const calls = [
    ['/cgi-bin/token', () => token()],
    ['/cgi-bin/stable_token', () => stable()],
  ] as const

  it.each(calls)(
    '%s answers 40164 naming the caller when it is not whitelisted',
    async (_p, call) => {
      emulator.setConfig({ ipWhitelist: ['203.0.113.7'] })

      expect(errorSeen(await call())).toEqual(
        wechatError(40164, 'invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist'),
      )
    },
  )

  it.each(calls)('%s answers a whitelisted caller', async (_p, call) => {
    emulator.setConfig({ ipWhitelist: ['203.0.113.7', '127.0.0.1'] })

    expect((await call()).body.expires_in).toBe(7200)
  })

  it.each(calls)('%s answers 40243 while the secret is frozen', async (_p, call) => {
    emulator.setConfig({ frozenSecret: true, ipWhitelist: ['203.0.113.7'] })

    expect(errorSeen(await call())).toEqual(wechatError(40243, 'appsecret is frozen'))
    emulator.setConfig({ frozenSecret: false, ipWhitelist: null })
    expect((await call()).body.expires_in).toBe(7200)
  })

  it('checks neither for getticket', async () => {
    const accessToken = tokenOf(await stable())
    emulator.setConfig({ frozenSecret: true, ipWhitelist: ['203.0.113.7'] })

    expect(await tokenWorks(accessToken)).toBe(0)
  })
})

describe('/cgi-bin/ticket/getticket', () => {
  it('answers the jsapi_ticket with errcode 0, as text/plain JSON', async () => {
    const answer = await ticket(tokenOf(await stable()))

    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain')
    expect(answer.body.ticket).toMatch(TICKET)
    expect(answer.text).toBe(
      JSON.stringify({ errcode: 0, errmsg: 'ok', ticket: answer.body.ticket, expires_in: 7200 }),
    )
  })

  it('answers the same ticket still saying 7200 until it expires, then a new one', async () => {
    const first = tokenOf(await stable())
    const issued = await ticket(first)
    advance(7200 * S - 1)
    const again = await ticket(first)
    advance(1)
    const renewed = await ticket(tokenOf(await stable()))

    expect(again.body).toEqual(issued.body)
    expect(again.body.expires_in).toBe(7200)
    expect(renewed.body.ticket).toMatch(TICKET)
    expect(renewed.body.ticket).not.toBe(issued.body.ticket)
    expect(renewed.body.expires_in).toBe(7200)
  })

  it("is the account's: every token of either endpoint gets the same ticket", async () => {
    const fromStable = await ticket(tokenOf(await stable()))
    const fromToken = await ticket(tokenOf(await token()))
    const afterForce = await ticket(tokenOf(await stable({ force_refresh: true })))

    expect(fromToken.body.ticket).toBe(fromStable.body.ticket)
    expect(afterForce.body.ticket).toBe(fromStable.body.ticket)
  })

  it('lists the valid ticket on Emulator.tickets and GET /__emulator/tickets', async () => {
    expect(emulator.tickets()).toEqual([])
    const { body } = await ticket(tokenOf(await stable()))

    const expected = [{ ticket: body.ticket, type: 'jsapi', expiresAt: T0 + 7200 * S }]
    expect(emulator.tickets()).toEqual(expected)
    expect(await (await fetch(`${emulator.url}/__emulator/tickets`)).json()).toEqual(expected)
    advance(7200 * S)
    expect(emulator.tickets()).toEqual([])
  })

  it('answers 42001 to an expired token and 40001 to one never issued', async () => {
    const accessToken = tokenOf(await stable())
    advance(2 * HOUR)

    expect(errorSeen(await ticket(accessToken))).toEqual(wechatError(42001, 'access_token expired'))
    expect(errorSeen(await ticket(`83_${'x'.repeat(107)}`))).toEqual(wechatError(40001, NOT_LATEST))
  })

  it('answers 40001 to a web-authorization token', async () => {
    const { body } = await exchange(emulator, await obtainCode(emulator))

    expect(errorSeen(await ticket(String(body.access_token)))).toEqual(
      wechatError(40001, NOT_LATEST),
    )
  })

  it.each([
    ['no access_token', { access_token: '' }, 41001, 'access_token missing'],
    ['no type', { type: undefined }, 40097, 'invalid args'],
    ['type wx_card, not emulated', { type: 'wx_card' }, 40097, 'invalid args'],
  ])('answers %s with its errcode', async (_name, overrides, errcode, errmsg) => {
    const all: Record<string, string | undefined> = {
      access_token: tokenOf(await stable()),
      type: 'jsapi',
      ...overrides,
    }
    const params = Object.fromEntries(
      Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
    )

    expect(errorSeen(await sns(emulator, '/cgi-bin/ticket/getticket', params))).toEqual(
      wechatError(errcode, errmsg),
    )
  })

  it('checks the token before the type', async () => {
    expect(errorSeen(await ticket('nope', 'wx_card'))).toEqual(wechatError(40001, NOT_LATEST))
  })
})

describe('faults, the log and counts', () => {
  it('answers -1 from an injected fault and issues nothing', async () => {
    emulator.addFault({ endpoint: 'stable_token', errcode: -1 })
    emulator.addFault({ endpoint: 'token', errcode: -1 })
    emulator.addFault({ endpoint: 'getticket', errcode: -1 })

    expect(errorSeen(await stable())).toEqual(wechatError(-1, 'system error'))
    expect(errorSeen(await token())).toEqual(wechatError(-1, 'system error'))
    expect(errorSeen(await ticket('any'))).toEqual(wechatError(-1, 'system error'))
    expect(emulator.tickets()).toEqual([])
    expect(
      emulator.log().map(({ endpoint, errcode, fault }) => [endpoint, errcode, fault]),
    ).toEqual([
      ['stable_token', -1, true],
      ['token', -1, true],
      ['getticket', -1, true],
    ])
  })

  it('delays a stable_token answer', async () => {
    emulator.addFault({ endpoint: 'stable_token', delayMs: 200 })
    const started = performance.now()

    const answer = await stable()

    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    expect(answer.body.expires_in).toBe(7200)
  })

  it('logs the calls with the secret and the global token hidden', async () => {
    const accessToken = tokenOf(await stable({ force_refresh: false }))
    await token()
    await ticket(accessToken)

    expect(emulator.log()).toEqual([
      {
        at: T0,
        endpoint: 'stable_token',
        query: {
          grant_type: 'client_credential',
          appid: emulator.appId,
          secret: '***',
          force_refresh: 'false',
        },
      },
      {
        at: T0,
        endpoint: 'token',
        query: { grant_type: 'client_credential', appid: emulator.appId, secret: '***' },
      },
      { at: T0, endpoint: 'getticket', query: { access_token: '***', type: 'jsapi' } },
    ])
    expect(JSON.stringify(emulator.log())).not.toContain(accessToken)
  })

  it('counts every call per endpoint, errors and faults included', async () => {
    emulator.addFault({ endpoint: 'token', errcode: -1 })
    const accessToken = tokenOf(await stable())
    await stable({ secret: 'wrong' })
    await token()
    for (let i = 0; i < 3; i++) await ticket(accessToken)

    const expected = {
      authorize: 0,
      confirm: 0,
      access_token: 0,
      refresh_token: 0,
      userinfo: 0,
      auth: 0,
      stable_token: 2,
      token: 1,
      getticket: 3,
    }
    expect(emulator.counts()).toEqual(expected)
    expect(await (await fetch(`${emulator.url}/__emulator/counts`)).json()).toEqual(expected)
  })
})

describe('quotas, in process', () => {
  let now = T0
  const newState = () =>
    new EmulatorState(
      {
        appId: EMULATOR_APPID,
        appSecret: EMULATOR_APPSECRET,
        appName: 'app',
        accessTokenTtlS: 7200,
        refreshTokenTtlS: 86_400,
      },
      {
        requireWechatUa: true,
        allowDesktop: false,
        codeTtlMs: 300_000,
        domain: 'localhost',
        expiredCodeErrcode: 40029,
        ipWhitelist: null,
        frozenSecret: false,
        tokenDailyQuota: 2000,
        baseUnionid: false,
        testAccount: false,
      },
      () => now,
    )
  const credentials = {
    grant_type: 'client_credential',
    appid: EMULATOR_APPID,
    secret: EMULATOR_APPSECRET,
  }
  const stableCall: CgiCall = {
    method: 'POST',
    query: {},
    body: JSON.stringify(credentials),
    ip: '127.0.0.1',
  }
  const tokenCall: CgiCall = { method: 'GET', query: credentials, body: '', ip: '127.0.0.1' }
  const errcodeOf = (answer: { body: object }) => (answer.body as { errcode?: number }).errcode
  const errmsgOf = (answer: { body: object }) =>
    String((answer.body as { errmsg?: string }).errmsg).replace(/, rid: .*$/, '')

  beforeEach(() => {
    now = T0
  })

  it('/cgi-bin/token: 2,000 calls a day by default, then 45009', () => {
    const state = newState()
    for (let i = 0; i < 2000; i++) expect(errcodeOf(getToken(state, tokenCall))).toBeUndefined()

    const refused = getToken(state, tokenCall)

    expect(errcodeOf(refused)).toBe(45009)
    expect(errmsgOf(refused)).toBe('reach max api daily quota limit')
  })

  it('/cgi-bin/stable_token: 10,000 calls a minute, then 45011 until the next minute', () => {
    const state = newState()
    for (let i = 0; i < 10_000; i++) state.account.stableToken(false)

    const refused = getStableToken(state, stableCall)
    now += MINUTE
    const nextMinute = getStableToken(state, stableCall)

    expect(errcodeOf(refused)).toBe(45011)
    expect(errmsgOf(refused)).toBe('api minute-quota reach limit, must slower, retry next minute')
    expect(nextMinute.body).toMatchObject({ access_token: expect.stringMatching(TOKEN) })
  })

  it('/cgi-bin/stable_token: 500,000 calls a day, then 45009 until midnight in Beijing', () => {
    const state = newState()
    for (let minute = 0; minute < 50; minute++) {
      for (let i = 0; i < 10_000; i++) state.account.stableToken(false)
      now += MINUTE
    }

    const refused = getStableToken(state, stableCall)
    now = T0 + TO_BEIJING_MIDNIGHT
    const nextDay = getStableToken(state, stableCall)

    expect(errcodeOf(refused)).toBe(45009)
    expect(errmsgOf(refused)).toBe('reach max api daily quota limit')
    expect(nextDay.body).toMatchObject({ access_token: expect.stringMatching(TOKEN) })
  })
})
