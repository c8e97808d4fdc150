import { createHash } from 'node:crypto'
import type { Config, Context } from '@netlify/functions'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import jssdkFunction, { config as jssdkFunctionConfig } from '../functions/jssdk-config.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { fakeWechat } from '../test-support/fake-wechat.ts'
import type { HandlerEnv } from './handlers.ts'
import { jssdkSignature, MAX_URL_LENGTH, signableUrl } from './jssdk.ts'

const APPID = 'wx0123456789abcdef'
const APPSECRET = 'the-app-secret-0123456789abcdef0'
const SESSION_SECRET = 'a-session-secret-for-tests-0123456789abcdef'
const STABLE = '/cgi-bin/stable_token'
const TICKET = '/cgi-bin/ticket/getticket'
const GLOBAL_TOKEN = `83_${'GlObAlToKeN'.repeat(9)}`
const JSAPI_TICKET = `kgt8ON7yVITDhtdwci0qe${'TiCkEt'.repeat(10)}`
const NOW = Date.UTC(2026, 11, 2, 3, 30, 0)

describe('jssdkSignature', () => {
  it("makes WeChat's own example", () => {
    expect(
      jssdkSignature({
        ticket:
          'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
        nonceStr: 'Wm3WZYTPz0wzccnW',
        timestamp: 1414587457,
        url: 'http://mp.weixin.qq.com',
      }),
    ).toBe('f4d90daf4b3bca3078ab155816175ba34c443a7b')
  })
})

describe('signableUrl', () => {
  const own = 'https://app.example'
  const domains = ['www.example.com', 'm.example.cn']
  const sign = (url: unknown) => signableUrl(url, own, domains)
  const refusal = (url: unknown) => {
    try {
      sign(url)
    } catch (error) {
      return (error as { code?: string; message: string }).code + ': ' + (error as Error).message
    }
    return 'signed'
  }

  it.each([
    ['https://app.example/', 'https://app.example/'],
    ['https://app.example/profile', 'https://app.example/profile'],
    ['https://app.example/profile#/top', 'https://app.example/profile'],
    ['https://app.example/#wechat_redirect', 'https://app.example/'],
    ['https://app.example/a?b=1#x#y', 'https://app.example/a?b=1'],
    // The landing URL on iOS: code and state as WeChat wrote them, every byte kept.
    [
      'https://app.example/auth/callback?code=061Abc0w3kXq2Z1x&state=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'https://app.example/auth/callback?code=061Abc0w3kXq2Z1x&state=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    ],
    [
      'https://app.example/s?q=%E4%BD%A0%e5%a5%bd&x=a+b&y=%2F%20&z=&&w=1;v=2',
      'https://app.example/s?q=%E4%BD%A0%e5%a5%bd&x=a+b&y=%2F%20&z=&&w=1;v=2',
    ],
    [
      'https://www.example.com/page?from=singlemessage',
      'https://www.example.com/page?from=singlemessage',
    ],
    ['http://m.example.cn/', 'http://m.example.cn/'],
  ])('signs %s as %s', (url, signed) => {
    expect(sign(url)).toBe(signed)
  })

  it.each([
    ['https://evil.example/', 'url is not a page of this site'],
    ['http://app.example/', 'url is not a page of this site'],
    ['https://app.example:8443/', 'url is not a page of this site'],
    ['https://www.example.com:8443/', 'url is not a page of this site'],
    ['https://example.com/', 'url is not a page of this site'],
    ['https://sub.www.example.com/', 'url is not a page of this site'],
    ['https://app.example.evil.example/', 'url is not a page of this site'],
    ['https://app.example', 'url must start with its origin and a /'],
    ['https://APP.example/', 'url must start with its origin and a /'],
    ['https://user@app.example/', 'url must start with its origin and a /'],
    ['https://app.example:443/', 'url must start with its origin and a /'],
    ['https://evil.example\\@app.example/', 'url must start with its origin and a /'],
    ['javascript:alert(1)//https://app.example/', 'url must be an http or https url'],
    ['ftp://app.example/', 'url must be an http or https url'],
    ['/profile', 'url is not a valid url'],
    ['https://', 'url is not a valid url'],
    ['https://app.example/a b', 'url must be printable ascii without spaces'],
    ['https://app.example/你好', 'url must be printable ascii without spaces'],
    ['https://app.example/\n', 'url must be printable ascii without spaces'],
    ['', 'url must be printable ascii without spaces'],
    [`https://app.example/${'a'.repeat(MAX_URL_LENGTH)}`, 'url must be at most 2048 characters'],
    [42, 'url must be a string'],
    [null, 'url must be a string'],
  ])('refuses %j: %s', (url, message) => {
    expect(refusal(url)).toBe(`bad_request: ${message}`)
  })

  it('signs a URL of exactly the longest length', () => {
    const longest = `https://app.example/${'a'.repeat(MAX_URL_LENGTH - 20)}`
    expect(longest).toHaveLength(MAX_URL_LENGTH)
    expect(sign(longest)).toBe(longest)
  })

  it('signs only its own origin without WECHAT_JS_DOMAINS', () => {
    expect(() => signableUrl('https://www.example.com/', own, [])).toThrow(
      'url is not a page of this site',
    )
  })
})

describe('POST /api/wechat/jssdk-config', () => {
  let blobs: Awaited<ReturnType<typeof startBlobs>>
  let settings: Record<string, string | undefined>
  let appNumber = 0
  beforeAll(async () => {
    blobs = await startBlobs()
  })
  afterAll(() => blobs.close())
  beforeEach(() => {
    // Each test a base of its own: nothing kept by an earlier one is found.
    settings = {
      WECHAT_APPID: APPID,
      WECHAT_APPSECRET: APPSECRET,
      SESSION_SECRET,
      WECHAT_API_BASE: `https://api-${++appNumber}.example.test`,
    }
  })

  /** A fresh copy of the server's modules: an instance with nothing in memory or logged. */
  async function freshHandler() {
    vi.resetModules()
    return (await import('./jssdk.ts')).handleJssdkConfig
  }

  function env(fetch: typeof globalThis.fetch, now = NOW): HandlerEnv {
    return {
      env: (name) => settings[name],
      fetch,
      stores: blobs.stores,
      now: () => now,
      requestId: 'req-js',
    }
  }

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    new Request('https://app.example/api/wechat/jssdk-config', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  const working = () =>
    fakeWechat({
      [STABLE]: { access_token: GLOBAL_TOKEN, expires_in: 7200 },
      [TICKET]: { errcode: 0, errmsg: 'ok', ticket: JSAPI_TICKET, expires_in: 7200 },
    })

  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

  it('answers appId, timestamp, nonceStr and the signature of the URL without its fragment', async () => {
    const handle = await freshHandler()
    const wechat = working()
    const page = 'https://app.example/auth/callback?code=061Abc&state=9f86d0%2Bx'
    const response = await handle(post({ url: `${page}#/profile` }), env(wechat.fetch))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['appId', 'timestamp', 'nonceStr', 'signature'])
    expect(body).toMatchObject({ appId: APPID, timestamp: NOW / 1000 })
    expect(body.nonceStr).toMatch(/^[A-Za-z0-9]{16,}$/)
    expect(body.signature).toBe(
      sha1(
        `jsapi_ticket=${JSAPI_TICKET}&noncestr=${body.nonceStr}&timestamp=${NOW / 1000}&url=${page}`,
      ),
    )
  })

  it('signs afresh for every request, with a new nonce, asking WeChat only the first time', async () => {
    const handle = await freshHandler()
    const wechat = working()
    const bodies = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const response = await handle(post({ url: 'https://app.example/' }), env(wechat.fetch))
        return (await response.json()) as { nonceStr: string; signature: string }
      }),
    )
    expect(new Set(bodies.map((b) => b.nonceStr)).size).toBe(5)
    expect(new Set(bodies.map((b) => b.signature)).size).toBe(5)
    expect(wechat.paths()).toEqual([STABLE, TICKET])
  })

  it('signs pages on the hosts of WECHAT_JS_DOMAINS, and refuses other hosts with 400', async () => {
    const handle = await freshHandler()
    const wechat = working()
    settings.WECHAT_JS_DOMAINS = ' www.example.com , M.Example.cn '
    const listed = await handle(post({ url: 'https://m.example.cn/x?y=1' }), env(wechat.fetch))
    expect(listed.status).toBe(200)
    const other = await handle(post({ url: 'https://evil.example/' }), env(wechat.fetch))
    expect([other.status, await other.json()]).toEqual([
      400,
      { error: { code: 'bad_request', message: 'url is not a page of this site' } },
    ])
  })

  it('refuses before asking WeChat anything: bad urls, bodies, methods', async () => {
    const handle = await freshHandler()
    const wechat = working()
    const answers = await Promise.all([
      handle(post({ url: 'https://evil.example/' }), env(wechat.fetch)),
      handle(post({}), env(wechat.fetch)),
      handle(post('not json'), env(wechat.fetch)),
      handle(
        post({ url: 'https://app.example/' }, { 'Content-Type': 'text/plain' }),
        env(wechat.fetch),
      ),
      handle(new Request('https://app.example/api/wechat/jssdk-config'), env(wechat.fetch)),
    ])
    expect(
      await Promise.all(answers.map(async (r) => [r.status, (await r.json()).error.code])),
    ).toEqual([
      [400, 'bad_request'],
      [400, 'bad_request'],
      [400, 'bad_request'],
      [415, 'unsupported_media_type'],
      [405, 'method_not_allowed'],
    ])
    expect(wechat.calls).toEqual([])
  })

  it('answers misconfigured for a WECHAT_JS_DOMAINS that is not a list of hosts', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const handle = await freshHandler()
    settings.WECHAT_JS_DOMAINS = 'https://www.example.com/'
    const response = await handle(post({ url: 'https://app.example/' }), env(working().fetch))
    expect([response.status, (await response.json()).error.code]).toEqual([500, 'misconfigured'])
    expect(log).toHaveBeenCalledWith(
      '[req-js] misconfigured: set WECHAT_JS_DOMAINS: WECHAT_JS_DOMAINS must be comma-separated host names, such as www.example.com (no scheme, path or port)',
    )
    log.mockRestore()
  })

  describe('what WeChat refuses', () => {
    const HINT_CREDENTIALS = 'check WECHAT_APPID, WECHAT_APPSECRET and the server IP whitelist'
    it.each([
      [STABLE, 40125, 'invalid appsecret', HINT_CREDENTIALS],
      [STABLE, 40013, 'invalid appid', HINT_CREDENTIALS],
      [STABLE, 40001, 'invalid credential', HINT_CREDENTIALS],
      [
        STABLE,
        40164,
        'invalid ip',
        "add this server's outgoing IP addresses to the account's IP whitelist (公众号后台 → 设置与开发 → 基本配置), or turn the whitelist off: serverless hosts have no fixed IP",
      ],
      [
        STABLE,
        40243,
        'appsecret frozen',
        'the AppSecret is frozen: unfreeze or reset it in 公众号后台 → 设置与开发 → 基本配置',
      ],
      [
        STABLE,
        45009,
        'reach max api daily quota limit',
        "the account token's daily quota is spent: reset it in 公众号后台 (接口权限), or wait for midnight Beijing time",
      ],
      [
        TICKET,
        40164,
        'invalid ip',
        "add this server's outgoing IP addresses to the account's IP whitelist (公众号后台 → 设置与开发 → 基本配置), or turn the whitelist off: serverless hosts have no fixed IP",
      ],
    ])(
      '%s %i: 500 misconfigured, logged once per instance, asked once per request',
      async (path, errcode, errmsg, hint) => {
        const log = vi.spyOn(console, 'error').mockImplementation(() => {})
        const handle = await freshHandler()
        const wechat = working()
        const answer = {
          errcode,
          errmsg: `${errmsg} 203.0.113.9 ipv6 ::ffff:203.0.113.9, rid: 674e-1`,
        }
        wechat.next(path, answer, answer)
        const endpoint = path === STABLE ? 'stable_token' : 'getticket'
        for (let n = 0; n < 2; n++) {
          const response = await handle(post({ url: 'https://app.example/' }), env(wechat.fetch))
          expect([response.status, await response.json()]).toEqual([
            500,
            { error: { code: 'misconfigured', message: 'the service is misconfigured' } },
          ])
        }
        expect(log.mock.calls).toEqual([
          [`[req-js] misconfigured: ${endpoint} errcode ${errcode}: ${errmsg} (${hint})`],
        ])
        expect(wechat.paths().filter((p) => p === path)).toHaveLength(2)
        log.mockRestore()
      },
    )

    it('asks once more ~200 ms after -1, and answers wechat_busy after a second', async () => {
      const log = vi.spyOn(console, 'error').mockImplementation(() => {})
      const handle = await freshHandler()
      const wechat = working()
      const busy = { errcode: -1, errmsg: 'system error' }
      wechat.next(STABLE, busy)
      wechat.next(TICKET, busy)
      const started = Date.now()
      const response = await handle(post({ url: 'https://app.example/' }), env(wechat.fetch))
      expect(response.status).toBe(200)
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 190)
      expect(wechat.paths()).toEqual([STABLE, STABLE, TICKET, TICKET])

      const again = await freshHandler()
      settings.WECHAT_API_BASE = `https://api-${++appNumber}.example.test`
      const down = working()
      down.next(STABLE, busy, busy, busy)
      const failed = await again(post({ url: 'https://app.example/' }), env(down.fetch))
      expect([failed.status, (await failed.json()).error.code]).toEqual([503, 'wechat_busy'])
      expect(down.paths()).toEqual([STABLE, STABLE])
      log.mockRestore()
    })

    it('answers wechat_rejected for a token WeChat refuses as soon as it gave it', async () => {
      const log = vi.spyOn(console, 'error').mockImplementation(() => {})
      const handle = await freshHandler()
      const wechat = working()
      wechat.next(TICKET, { errcode: 40001, errmsg: 'invalid credential' })
      const response = await handle(post({ url: 'https://app.example/' }), env(wechat.fetch))
      expect([response.status, (await response.json()).error.code]).toEqual([
        502,
        'wechat_rejected',
      ])
      expect(wechat.paths()).toEqual([STABLE, TICKET])
      log.mockRestore()
    })
  })

  it('never lets the AppSecret, the token or the ticket into an answer or a log', async () => {
    const logged: unknown[][] = []
    const spies = (['error', 'warn', 'log', 'info'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args) => void logged.push(args)),
    )
    const handle = await freshHandler()
    const wechat = working()
    // Errmsgs that echo what was sent, as WeChat's sometimes do.
    const echo = (errcode: number) => ({
      errcode,
      errmsg: `invalid credential, access_token ${GLOBAL_TOKEN} secret ${APPSECRET} ticket ${JSAPI_TICKET}`,
    })
    wechat.next(STABLE, echo(40125), echo(-1), echo(-1))
    const answers: Response[] = []
    const ask = async (url = 'https://app.example/') => {
      answers.push(await handle(post({ url }), env(wechat.fetch)))
    }
    await ask()
    await ask()
    wechat.next(TICKET, echo(40001))
    await ask()
    await ask()
    await ask('https://evil.example/')
    const texts = await Promise.all(
      answers.map(async (r) => `${r.status} ${[...r.headers].join()} ${await r.text()}`),
    )
    expect(texts.map((t) => t.slice(0, 3))).toEqual(['500', '503', '502', '200', '400'])
    const everything = JSON.stringify([texts, logged.map((args) => args.map(String))])
    expect(logged.length).toBeGreaterThan(0)
    for (const secret of [APPSECRET, GLOBAL_TOKEN, JSAPI_TICKET, SESSION_SECRET]) {
      expect(everything).not.toContain(secret)
    }
    spies.forEach((spy) => spy.mockRestore())
  })

  it('is the function at /api/wechat/jssdk-config', async () => {
    vi.stubGlobal('Netlify', { env: { get: (name: string) => settings[name] } })
    try {
      expect(jssdkFunctionConfig).toEqual({ path: '/api/wechat/jssdk-config' } satisfies Config)
      const response = await jssdkFunction(
        new Request('https://app.example/api/wechat/jssdk-config', { method: 'GET' }),
        { requestId: 'req-f' } as Context,
      )
      expect([response.status, (await response.json()).error.code]).toEqual([
        405,
        'method_not_allowed',
      ])
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
