import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createEmulator, type Emulator } from './server'
import {
  authorizeUrl,
  errmsgPattern,
  exchange,
  loadPage,
  obtainCode,
  postApi,
  redirectTarget,
  sns,
  startEmulator,
  T0,
  validParams,
} from './test-support/index.ts'
import { TEST_USERS } from './users'

const emulator: Emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

async function call(method: string, route: string, body?: unknown) {
  const response = await fetch(`${emulator.url}/__emulator/${route}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    allow: response.headers.get('allow'),
    json: (await response.json()) as unknown,
  }
}

const post = (route: string, body?: unknown) => call('POST', route, body)

const token = () =>
  sns(emulator, '/cgi-bin/token', {
    grant_type: 'client_credential',
    appid: emulator.appId,
    secret: emulator.appSecret,
  })

const stable = () =>
  postApi(emulator, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: emulator.appId,
    secret: emulator.appSecret,
  })

describe('health, users and next-user', () => {
  it('answers health', async () => {
    expect(await call('GET', 'health')).toMatchObject({
      status: 200,
      contentType: 'application/json; charset=utf-8',
      json: { ok: true },
    })
  })

  it('lists the users with their openid and unionid', async () => {
    const { json } = await call('GET', 'users')

    expect(json).toEqual(
      TEST_USERS.map((user) => ({
        id: user.id,
        nickname: user.nickname,
        headimgurl: user.headimgurl,
        hasUnionid: user.unionid !== null,
        snapshot: user.snapshot,
        followed: user.id !== 'not-following',
        openid: expect.stringMatching(/^o[A-Za-z0-9_-]{27}$/),
        unionid: user.unionid,
        consentUntil: null,
      })),
    )
    expect((json as Array<{ id: string }>).map(({ id }) => id)).toEqual([
      'normal',
      'emoji',
      'no-avatar',
      'no-unionid',
      'snapshot',
      'html',
      'not-following',
    ])
  })

  it('preselects the next user, and null goes back to normal', async () => {
    expect(await post('next-user', { user: 'html' })).toMatchObject({
      status: 200,
      json: { ok: true, user: 'html' },
    })
    const chosen = await loadPage(authorizeUrl(emulator.url, validParams()))
    expect(chosen.document.querySelector<HTMLInputElement>('input:checked')?.value).toBe('html')

    expect(await post('next-user', { user: null })).toMatchObject({ json: { user: 'normal' } })
  })

  it('stays selected for every authorization until changed', async () => {
    await post('next-user', { user: 'no-avatar' })
    const silent = await loadPage(authorizeUrl(emulator.url, validParams({ scope: 'snsapi_base' })))
    const code = new URL(redirectTarget(silent)).searchParams.get('code') ?? ''
    const first = await exchange(emulator, code)
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))

    expect(first.body.openid).toBe(emulator.users()[2]?.openid)
    expect(page.document.querySelector<HTMLInputElement>('input:checked')?.value).toBe('no-avatar')
  })

  it('refuses an unknown user with 400', async () => {
    const error =
      '"user" must be null or one of normal, emoji, no-avatar, no-unionid, snapshot, html, not-following'

    expect(await post('next-user', { user: 'admin' })).toEqual(
      expect.objectContaining({ status: 400, json: { error } }),
    )
    expect(await post('next-user', {})).toMatchObject({
      status: 400,
      json: { error: '"user" is missing' },
    })
    expect(() => emulator.setNextUser('admin' as never)).toThrow(new TypeError(error))
  })
})

describe('faults', () => {
  const authorizeFaultText = '操作太频繁了，请稍后重试，错误码：10009'

  it('answers the next call with a WeChat error, then goes back to normal', async () => {
    const code = await obtainCode(emulator)
    expect(await post('faults', { endpoint: 'access_token', errcode: 45011 })).toMatchObject({
      status: 200,
      json: { ok: true, faults: [{ endpoint: 'access_token', errcode: 45011, times: 1 }] },
    })

    const faulted = await exchange(emulator, code)
    const normal = await exchange(emulator, code)

    expect(faulted.body.errcode).toBe(45011)
    expect(faulted.body.errmsg).toMatch(
      errmsgPattern('api minute-quota reach limit, must slower, retry next minute'),
    )
    expect(normal.body.openid).toBe(emulator.users()[0]?.openid)
    expect(emulator.log().map(({ errcode, fault }) => ({ errcode, fault }))).toEqual([
      { errcode: undefined, fault: undefined },
      { errcode: 45011, fault: true },
      { errcode: undefined, fault: undefined },
    ])
  })

  it('uses the given errmsg and applies `times` times', async () => {
    emulator.addFault({ endpoint: 'auth', errcode: 40001, errmsg: 'custom text', times: 2 })

    const answers = await Promise.all(
      [1, 2, 3].map(() => sns(emulator, '/sns/auth', { access_token: 'a', openid: 'b' })),
    )

    expect(answers.map(({ body }) => body.errcode)).toEqual([40001, 40001, 40014])
    expect(answers[0]?.body.errmsg).toMatch(errmsgPattern('custom text'))
  })

  it('answers an HTTP status with a plain text, or with the given body', async () => {
    emulator.addFault({ endpoint: 'userinfo', status: 502 })
    emulator.addFault({ endpoint: 'userinfo', status: 503, body: '<html>busy</html>' })

    const plain = await fetch(`${emulator.url}/sns/userinfo`)
    const withBody = await fetch(`${emulator.url}/sns/userinfo`)

    expect(plain.status).toBe(502)
    expect(await plain.text()).toBe('502 Bad Gateway')
    expect(withBody.status).toBe(503)
    expect(await withBody.text()).toBe('<html>busy</html>')
  })

  it('answers a raw body, such as truncated JSON, with status 200', async () => {
    emulator.addFault({ endpoint: 'refresh_token', body: '{"access_token":"83_abc' })

    const response = await fetch(`${emulator.url}/sns/oauth2/refresh_token`)

    expect(response.status).toBe(200)
    expect(await response.text()).toBe('{"access_token":"83_abc')
  })

  it('delays a normal answer', async () => {
    emulator.addFault({ endpoint: 'auth', delayMs: 300 })
    const started = performance.now()

    const answer = await sns(emulator, '/sns/auth', {})

    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(answer.body.errcode).toBe(41001)
  })

  it('delays a fault and caps delays at 60 s', async () => {
    emulator.addFault({ endpoint: 'auth', delayMs: 150, errcode: -1 })
    emulator.addFault({ endpoint: 'auth', delayMs: 10 ** 9 })
    const started = performance.now()

    const answer = await sns(emulator, '/sns/auth', {})

    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(answer.body.errcode).toBe(-1)
    expect((await call('GET', 'faults')).json).toEqual([
      { endpoint: 'auth', delayMs: 60_000, times: 1 },
    ])
  })

  it('shows the numbered error page for an authorize fault', async () => {
    await post('faults', { endpoint: 'authorize', errcode: 10009 })

    const faulted = await loadPage(authorizeUrl(emulator.url, validParams()))
    const normal = await loadPage(authorizeUrl(emulator.url, validParams()))

    expect(faulted.errcode).toBe('10009')
    expect(faulted.text).toBe(authorizeFaultText)
    expect(normal.document.querySelector('#app-name')).not.toBeNull()
    expect(emulator.log()[0]).toMatchObject({ endpoint: 'authorize', errcode: 10009, fault: true })
  })

  it('answers a status or a raw body on the authorize page', async () => {
    emulator.addFault({ endpoint: 'authorize', status: 500 })
    emulator.addFault({ endpoint: 'authorize', body: '<p>oops</p>' })

    const status = await fetch(authorizeUrl(emulator.url, validParams()))
    const body = await fetch(authorizeUrl(emulator.url, validParams()))

    expect(status.status).toBe(500)
    expect(await status.text()).toBe('500 Internal Server Error')
    expect(await body.text()).toBe('<p>oops</p>')
  })

  it('clears faults on DELETE', async () => {
    emulator.addFault({ endpoint: 'auth', errcode: -1, times: 5 })

    expect(await call('DELETE', 'faults')).toMatchObject({ status: 200, json: { ok: true } })
    expect((await sns(emulator, '/sns/auth', {})).body.errcode).toBe(41001)
  })

  it.each([
    ['not an object', [1], 'the body must be a JSON object'],
    [
      'an unknown endpoint',
      { endpoint: 'ticket', errcode: -1 },
      '"endpoint" must be one of access_token, refresh_token, userinfo, auth, authorize, stable_token, token, getticket',
    ],
    ['an unknown key', { endpoint: 'auth', errorcode: -1 }, 'unknown key "errorcode"'],
    [
      'nothing to do',
      { endpoint: 'auth' },
      'a fault needs "errcode", "status", "body" or "delayMs"',
    ],
    ['a fractional errcode', { endpoint: 'auth', errcode: 1.5 }, '"errcode" must be an integer'],
    [
      'an errmsg alone',
      { endpoint: 'auth', errmsg: 'x' },
      '"errmsg" must be a string and needs "errcode"',
    ],
    [
      'a negative delay',
      { endpoint: 'auth', delayMs: -1 },
      '"delayMs" must be a number of milliseconds, 0 or more',
    ],
    [
      'an informational status',
      { endpoint: 'auth', status: 101 },
      '"status" must be an HTTP status from 200 to 599',
    ],
    ['a body that is not text', { endpoint: 'auth', body: { a: 1 } }, '"body" must be a string'],
    [
      'times 0',
      { endpoint: 'auth', errcode: -1, times: 0 },
      '"times" must be an integer from 1 to 10000',
    ],
  ])('refuses %s with 400', async (_name, body, error) => {
    expect(await post('faults', body)).toMatchObject({ status: 400, json: { error } })
    expect((await call('GET', 'faults')).json).toEqual([])
  })

  it('refuses more than 1000 pending faults', async () => {
    for (let i = 0; i < 1000; i++) emulator.addFault({ endpoint: 'auth', errcode: -1 })

    expect(await post('faults', { endpoint: 'auth', errcode: -1 })).toMatchObject({
      status: 400,
      json: { error: 'more than 1000 pending faults' },
    })
    expect(() => emulator.addFault({ endpoint: 'auth', errcode: -1 })).toThrow(RangeError)
  })

  it('refuses the same through Emulator.addFault', () => {
    expect(() => emulator.addFault({ endpoint: 'auth' })).toThrow(
      new TypeError('a fault needs "errcode", "status", "body" or "delayMs"'),
    )
  })
})

describe('config and clock', () => {
  it('changes settings and answers the whole configuration', async () => {
    const answer = await post('config', { domain: 'app.example.com', allowDesktop: true })

    expect(answer).toMatchObject({
      status: 200,
      json: {
        requireWechatUa: true,
        allowDesktop: true,
        codeTtlMs: 300_000,
        domain: 'app.example.com',
        expiredCodeErrcode: 40029,
        ipWhitelist: null,
        frozenSecret: false,
        tokenDailyQuota: 2000,
        baseUnionid: false,
        testAccount: false,
      },
    })
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))
    expect(page.errcode).toBe('10003')
  })

  it.each([
    ['a string boolean', { requireWechatUa: 'false' }, '"requireWechatUa" must be a boolean'],
    ['a zero code lifetime', { codeTtlMs: 0 }, '"codeTtlMs" must be a positive integer'],
    [
      'a domain with a scheme',
      { domain: 'https://localhost' },
      '"domain" must be a host name without scheme or port',
    ],
    [
      'another expired-code errcode',
      { expiredCodeErrcode: 40163 },
      '"expiredCodeErrcode" must be 40029 or 42003',
    ],
    ['an unknown key', { appId: 'wx1' }, 'unknown key "appId"'],
    [
      'a whitelist of a host name',
      { ipWhitelist: ['localhost'] },
      '"ipWhitelist" must be null or a list of at most 200 IP addresses',
    ],
    [
      'a whitelist that is one address',
      { ipWhitelist: '127.0.0.1' },
      '"ipWhitelist" must be null or a list of at most 200 IP addresses',
    ],
    ['a string frozenSecret', { frozenSecret: 'yes' }, '"frozenSecret" must be a boolean'],
    ['a string baseUnionid', { baseUnionid: 'true' }, '"baseUnionid" must be a boolean'],
    ['a numeric testAccount', { testAccount: 1 }, '"testAccount" must be a boolean'],
    [
      'a negative quota',
      { tokenDailyQuota: -1 },
      '"tokenDailyQuota" must be an integer from 0 to 100000000',
    ],
  ])('refuses %s with 400', async (_name, body, error) => {
    expect(await post('config', body)).toMatchObject({ status: 400, json: { error } })
    expect((await call('GET', 'config')).json).toMatchObject({
      requireWechatUa: true,
      domain: 'localhost',
    })
  })

  it('switches the whitelist, the frozen secret and the /cgi-bin/token quota', async () => {
    const answer = await post('config', {
      ipWhitelist: ['127.0.0.1', '::1'],
      frozenSecret: true,
      tokenDailyQuota: 200,
    })

    expect(answer).toMatchObject({
      status: 200,
      json: { ipWhitelist: ['127.0.0.1', '::1'], frozenSecret: true, tokenDailyQuota: 200 },
    })
    expect((await token()).body.errcode).toBe(40243)
    await post('config', { frozenSecret: false, tokenDailyQuota: 0 })
    expect((await token()).body.errcode).toBe(45009)
  })

  it('moves the clock forward', async () => {
    expect(await post('clock', { advanceMs: 60_000 })).toMatchObject({
      status: 200,
      json: { ok: true, now: T0 + 60_000 },
    })
    expect((await call('GET', 'clock')).json).toEqual({ now: T0 + 60_000 })
    expect(emulator.advanceClock(1)).toBe(T0 + 60_001)
  })

  it('refuses a clock going back', async () => {
    const error = '"advanceMs" must be a number of milliseconds, 0 or more'

    expect(await post('clock', { advanceMs: -1 })).toMatchObject({ status: 400, json: { error } })
    expect(await post('clock', { advanceMs: '5' })).toMatchObject({ status: 400, json: { error } })
  })
})

describe('global tokens', () => {
  it('expires every live global token on POST /__emulator/expire-token', async () => {
    const fromToken = String((await token()).body.access_token)
    const fromStable = String((await stable()).body.access_token)

    expect(await post('expire-token')).toMatchObject({
      status: 200,
      json: { ok: true, expired: 2 },
    })
    for (const accessToken of [fromToken, fromStable]) {
      const answer = await sns(emulator, '/cgi-bin/ticket/getticket', {
        access_token: accessToken,
        type: 'jsapi',
      })
      expect(answer.body.errcode).toBe(42001)
    }
    expect((await stable()).body.access_token).not.toBe(fromStable)
    expect(emulator.expireToken()).toBe(1)
  })

  it('moves token and ticket expiry with the clock', async () => {
    const accessToken = String((await stable()).body.access_token)
    await sns(emulator, '/cgi-bin/ticket/getticket', { access_token: accessToken, type: 'jsapi' })

    await post('clock', { advanceMs: 7_200_000 })

    expect((await call('GET', 'tickets')).json).toEqual([])
    expect((await stable()).body.access_token).not.toBe(accessToken)
  })
})

describe('log and reset', () => {
  it('lists the calls over HTTP', async () => {
    await sns(emulator, '/sns/userinfo', { access_token: 'a', openid: 'o', lang: 'en' })

    expect((await call('GET', 'log')).json).toEqual([
      {
        at: T0,
        endpoint: 'userinfo',
        query: { access_token: 'a', openid: 'o', lang: 'en' },
        errcode: 40014,
      },
    ])
  })

  it('puts everything back to the start', async () => {
    const code = await obtainCode(emulator)
    emulator.setNextUser('emoji')
    emulator.addFault({ endpoint: 'auth', errcode: -1 })
    emulator.setConfig({ requireWechatUa: false })
    emulator.advanceClock(5000)

    expect(await post('reset')).toMatchObject({ status: 200, json: { ok: true } })

    expect((await exchange(emulator, code)).body.errcode).toBe(40029)
    expect((await call('GET', 'faults')).json).toEqual([])
    expect((await call('GET', 'config')).json).toMatchObject({ requireWechatUa: true })
    expect((await call('GET', 'clock')).json).toEqual({ now: T0 })
    expect(emulator.log()).toHaveLength(1)
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))
    expect(page.document.querySelector<HTMLInputElement>('input:checked')?.value).toBe('normal')
  })

  it('forgets the global tokens, the ticket, the counts, the quotas and the switches', async () => {
    emulator.setConfig({ tokenDailyQuota: 1 })
    const accessToken = String((await token()).body.access_token)
    const getticket = () =>
      sns(emulator, '/cgi-bin/ticket/getticket', { access_token: accessToken, type: 'jsapi' })
    await getticket()
    emulator.setConfig({
      frozenSecret: true,
      ipWhitelist: ['192.0.2.1'],
      baseUnionid: true,
      testAccount: true,
    })

    await post('reset')

    expect((await call('GET', 'tickets')).json).toEqual([])
    expect((await call('GET', 'counts')).json).toMatchObject({ token: 0, getticket: 0 })
    expect((await call('GET', 'config')).json).toMatchObject({
      ipWhitelist: null,
      frozenSecret: false,
      tokenDailyQuota: 2000,
      baseUnionid: false,
      testAccount: false,
    })
    expect((await getticket()).body.errcode).toBe(40001)
    expect((await token()).body.expires_in).toBe(7200)
  })
})

describe('control API errors', () => {
  it('answers 404 to an unknown route and 405 to a wrong method', async () => {
    expect(await call('GET', 'nothing')).toMatchObject({
      status: 404,
      json: { error: 'unknown control route "nothing"' },
    })
    expect(await call('GET', 'reset')).toMatchObject({
      status: 405,
      allow: 'POST',
      json: { error: 'use POST' },
    })
    expect(await call('PUT', 'faults')).toMatchObject({ status: 405, allow: 'GET, POST, DELETE' })
  })

  it('answers 400 to a body that is not JSON', async () => {
    expect(await post('faults', '{"endpoint":')).toMatchObject({
      status: 400,
      json: { error: 'the body is not valid JSON' },
    })
  })

  it('answers 413 to a body over 16 KiB', async () => {
    const answer = await post('faults', { endpoint: 'auth', body: 'x'.repeat(16 * 1024) })

    expect(answer).toMatchObject({ status: 413, json: { error: 'request body too large' } })
  })
})

describe('the server', () => {
  it('listens on 127.0.0.1 by default', () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('logs one line per request with the secret hidden, unless quiet', async () => {
    const lines: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line))
    const loud = await createEmulator({ port: 0 })
    try {
      await fetch(
        `${loud.url}/sns/oauth2/access_token?appid=wx1&secret=s3cr3t&code=c&grant_type=authorization_code`,
      )
      await fetch(`${loud.url}/__emulator/health`)
      await fetch(`${loud.url}/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3t`)
      await fetch(`${loud.url}/cgi-bin/ticket/getticket?access_token=83_secret&type=jsapi`)
    } finally {
      await loud.close()
      spy.mockRestore()
    }

    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(
      /^\[wechat-emulator\] GET \/sns\/oauth2\/access_token\?appid=wx1&secret=\*\*\*&code=c&grant_type=authorization_code 200 \d+ms$/,
    )
    expect(lines[1]).toMatch(/^\[wechat-emulator\] GET \/__emulator\/health 200 \d+ms$/)
    expect(lines[2]).toMatch(
      /^\[wechat-emulator\] GET \/cgi-bin\/token\?grant_type=client_credential&appid=wx1&secret=\*\*\* 200 \d+ms$/,
    )
    expect(lines[3]).toMatch(
      /^\[wechat-emulator\] GET \/cgi-bin\/ticket\/getticket\?access_token=\*\*\*&type=jsapi 200 \d+ms$/,
    )
  })

  it('closes promptly while a delayed answer is pending', async () => {
    const other = await startEmulator()
    other.addFault({ endpoint: 'auth', delayMs: 60_000 })
    const pending = fetch(`${other.url}/sns/auth`).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = performance.now()

    await other.close()

    expect(performance.now() - started).toBeLessThan(1000)
    expect(await pending).toBeInstanceOf(TypeError)
  })

  it('can be closed twice', async () => {
    const other = await startEmulator()

    await other.close()

    await expect(other.close()).resolves.toBeUndefined()
  })

  it('refuses to start on a port in use', async () => {
    const port = Number(new URL(emulator.url).port)

    await expect(startEmulator({ port })).rejects.toThrow(/EADDRINUSE/)
  })
})
