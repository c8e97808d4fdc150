import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { checkShare, jssdkSignature, verifyJssdk, type VerifyRequest } from './jsbridge'
import { JSBRIDGE_SCRIPT, SAME_ORIGIN_JSBRIDGE_SCRIPT } from './jsbridge-script'
import { postApi, sns, startEmulator } from './test-support/index.ts'

const emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

async function call(method: string, route: string, body?: unknown) {
  const response = await fetch(`${emulator.url}/__emulator/${route}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as unknown }
}

async function issueTicket(): Promise<string> {
  const token = await postApi(emulator, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: emulator.appId,
    secret: emulator.appSecret,
  })
  const answer = await sns(emulator, '/cgi-bin/ticket/getticket', {
    access_token: String(token.body.access_token),
    type: 'jsapi',
  })
  return String(answer.body.ticket)
}

const URL_HOME = 'http://localhost:8877/?from=share'

function request(ticket: string, overrides: Partial<VerifyRequest> = {}): VerifyRequest {
  const url = overrides.url ?? URL_HOME
  return {
    verifyAppId: emulator.appId,
    verifyTimestamp: '1414587457',
    verifyNonceStr: 'Wm3WZYTPz0wzccnW',
    verifySignature: jssdkSignature(ticket, 'Wm3WZYTPz0wzccnW', '1414587457', url.split('#')[0]!),
    url,
    platform: 'android',
    ...overrides,
  }
}

describe('jssdkSignature', () => {
  it("matches WeChat's own example", () => {
    expect(
      jssdkSignature(
        'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
        'Wm3WZYTPz0wzccnW',
        '1414587457',
        'http://mp.weixin.qq.com',
      ),
    ).toBe('f4d90daf4b3bca3078ab155816175ba34c443a7b')
  })
})

describe('verifyJssdk', () => {
  const account = { appId: 'wxapp', jsDomains: ['localhost'] }
  const tickets = [{ ticket: 'T1', type: 'jsapi' as const, expiresAt: 1 }]
  const signed = (url: string) => ({
    verifyAppId: 'wxapp',
    verifyTimestamp: '1',
    verifyNonceStr: 'n',
    verifySignature: jssdkSignature('T1', 'n', '1', url),
    url,
    platform: 'ios' as const,
  })

  it('answers config:ok for a signature over the URL without its fragment', () => {
    expect(verifyJssdk(signed(URL_HOME), account, tickets)).toEqual({ errMsg: 'config:ok' })
    expect(verifyJssdk({ ...signed(URL_HOME), url: `${URL_HOME}#top` }, account, tickets)).toEqual({
      errMsg: 'config:ok',
    })
  })

  it('answers config:invalid signature with the URL it checked as realAuthUrl', () => {
    const other = 'http://localhost:8877/profile'
    expect(verifyJssdk({ ...signed(URL_HOME), url: `${other}#x` }, account, tickets)).toEqual({
      errMsg: 'config:invalid signature',
      realAuthUrl: [other],
    })
    expect(verifyJssdk(signed(URL_HOME), account, [])).toEqual({
      errMsg: 'config:invalid signature',
      realAuthUrl: [URL_HOME],
    })
  })

  it('answers config:invalid signature for another appId', () => {
    expect(verifyJssdk({ ...signed(URL_HOME), verifyAppId: 'wxother' }, account, tickets)).toEqual({
      errMsg: 'config:invalid signature',
      realAuthUrl: [URL_HOME],
    })
  })

  it('answers config:invalid url domain off the JS接口安全域名', () => {
    const url = 'http://127.0.0.1:8877/'
    expect(verifyJssdk(signed(url), account, tickets)).toEqual({
      errMsg: 'config:invalid url domain',
    })
    expect(verifyJssdk({ ...signed(URL_HOME), url: 'not a url' }, account, tickets)).toEqual({
      errMsg: 'config:invalid url domain',
    })
  })
})

describe('the bridge control API', () => {
  it('serves the bridge script', async () => {
    const response = await fetch(`${emulator.url}/__emulator/jsbridge.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await response.text()).toBe(JSBRIDGE_SCRIPT)
    const sameOrigin = await fetch(`${emulator.url}/__emulator/jsbridge.js?sameOrigin=1`)
    expect(await sameOrigin.text()).toBe(SAME_ORIGIN_JSBRIDGE_SCRIPT)
    expect(() => new Function(JSBRIDGE_SCRIPT)).not.toThrow()
  })

  it('checks against the valid tickets and records each verification', async () => {
    const ticket = await issueTicket()
    expect(await call('POST', 'jssdk/verify', request(ticket))).toEqual({
      status: 200,
      json: { errMsg: 'config:ok' },
    })
    expect(await call('POST', 'jssdk/verify', request('stale'))).toEqual({
      status: 200,
      json: { errMsg: 'config:invalid signature', realAuthUrl: [URL_HOME] },
    })
    expect((await call('GET', 'jssdk/verifies')).json).toEqual([
      { url: URL_HOME, platform: 'android', appId: emulator.appId, errMsg: 'config:ok' },
      {
        url: URL_HOME,
        platform: 'android',
        appId: emulator.appId,
        errMsg: 'config:invalid signature',
      },
    ])
    await call('POST', 'clock', { advanceMs: 7_200_000 })
    expect((await call('POST', 'jssdk/verify', request(ticket))).json).toMatchObject({
      errMsg: 'config:invalid signature',
    })
  })

  it('takes the JS接口安全域名 from the config, by default the authorization domain', async () => {
    const ticket = await issueTicket()
    const url = 'https://app.example.com/'
    expect((await call('POST', 'jssdk/verify', request(ticket, { url }))).json).toEqual({
      errMsg: 'config:invalid url domain',
    })
    await call('POST', 'config', { jsDomains: ['app.example.com'] })
    expect((await call('POST', 'jssdk/verify', request(ticket, { url }))).json).toEqual({
      errMsg: 'config:ok',
    })
    expect((await call('POST', 'jssdk/verify', request(ticket))).json).toEqual({
      errMsg: 'config:invalid url domain',
    })
    expect(await call('POST', 'config', { jsDomains: ['https://x'] })).toEqual({
      status: 400,
      json: { error: '"jsDomains" must be a list of at most 5 host names' },
    })
  })

  it('forces the next answers, then checks again', async () => {
    const ticket = await issueTicket()
    expect(
      await call('POST', 'jssdk/force', { errMsg: 'config:invalid signature', times: 2 }),
    ).toMatchObject({ status: 200 })
    const forced = { errMsg: 'config:invalid signature', realAuthUrl: [URL_HOME] }
    expect((await call('POST', 'jssdk/verify', request(ticket))).json).toEqual(forced)
    expect((await call('POST', 'jssdk/verify', request(ticket))).json).toEqual(forced)
    expect((await call('POST', 'jssdk/verify', request(ticket))).json).toEqual({
      errMsg: 'config:ok',
    })
    const verifies = (await call('GET', 'jssdk/verifies')).json as { forced?: true }[]
    expect(verifies.map(({ forced }) => forced ?? false)).toEqual([true, true, false])
    expect(await call('POST', 'jssdk/force', { errMsg: 'config:ok' })).toEqual({
      status: 400,
      json: {
        error:
          '"errMsg" must be one of config:invalid signature, config:invalid url domain, config:fail',
      },
    })
  })

  it('records share cards and clears everything on reset', async () => {
    const card = {
      api: 'updateTimelineShareData',
      page: URL_HOME,
      title: '微信授权登录',
      link: 'http://localhost:8877/',
      imgUrl: 'http://localhost:8877/share-icon.png',
    }
    expect(await call('POST', 'jssdk/share', card)).toEqual({
      status: 200,
      json: { ok: true, errMsg: 'updateTimelineShareData:ok' },
    })
    expect((await call('GET', 'shares')).json).toEqual([card])
    expect(await call('POST', 'jssdk/share', { ...card, api: 'onMenuShareTimeline' })).toEqual({
      status: 400,
      json: { error: '"api" must be one of updateAppMessageShareData, updateTimelineShareData' },
    })
    await call('POST', 'jssdk/force', { errMsg: 'config:fail' })
    await call('POST', 'jssdk/verify', request('x'))
    await call('POST', 'reset', {})
    expect((await call('GET', 'shares')).json).toEqual([])
    expect((await call('GET', 'jssdk/verifies')).json).toEqual([])
  })

  it('refuses a card whose link is off the JS接口安全域名, and does not record it', async () => {
    const card = {
      api: 'updateAppMessageShareData',
      page: URL_HOME,
      title: '微信授权登录',
      desc: '用微信一键登录',
      link: 'https://elsewhere.example.com/',
      imgUrl: 'http://localhost:8877/share-icon.png',
    }
    expect(await call('POST', 'jssdk/share', card)).toEqual({
      status: 200,
      json: { ok: false, errMsg: 'updateAppMessageShareData:invalid url domain' },
    })
    expect((await call('GET', 'shares')).json).toEqual([])
    await call('POST', 'config', { jsDomains: ['elsewhere.example.com'] })
    expect((await call('POST', 'jssdk/share', card)).json).toEqual({
      ok: true,
      errMsg: 'updateAppMessageShareData:ok',
    })
    expect((await call('GET', 'shares')).json).toEqual([card])
  })

  it('refuses a malformed verification', async () => {
    expect(await call('POST', 'jssdk/verify', { url: URL_HOME })).toEqual({
      status: 400,
      json: { error: '"verifyAppId" must be a string' },
    })
    expect(await call('POST', 'jssdk/verify', { ...request('t'), platform: 'windows' })).toEqual({
      status: 400,
      json: { error: '"platform" must be "ios" or "android"' },
    })
  })
})

describe('checkShare', () => {
  it('accepts a link on a JS接口安全域名 only', () => {
    const api = 'updateTimelineShareData' as const
    expect(checkShare({ api, link: 'http://localhost:8877/' }, ['localhost'])).toEqual({
      ok: true,
      errMsg: 'updateTimelineShareData:ok',
    })
    for (const link of ['https://evil.example/', 'not a url']) {
      expect(checkShare({ api, link }, ['localhost'])).toEqual({
        ok: false,
        errMsg: 'updateTimelineShareData:invalid url domain',
      })
    }
  })
})

const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.40.2420(0x28002837)'
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.0.0 Safari/537.36'

interface Bridge {
  invoke(name: string, args: unknown, cb: (res: Record<string, unknown>) => void): void
}

/**
 * Runs a bridge script as a page would, with the given User-Agent at `href`; its calls reach
 * this emulator through `window.__wxEmulator` or, for the same-origin script, `fetch`.
 */
function page(script: string, userAgent: string, href = URL_HOME) {
  const window: { WeixinJSBridge?: Bridge; __wxEmulator?: unknown } = {}
  const fetches: string[] = []
  const pageFetch = (path: string, init: RequestInit) => {
    fetches.push(path)
    return fetch(`${emulator.url}${path}`, init)
  }
  if (script === JSBRIDGE_SCRIPT) {
    window.__wxEmulator = async (kind: string, json: string) =>
      (await pageFetch(`/__emulator/jssdk/${kind}`, { method: 'POST', body: json })).text()
  }
  const document = new EventTarget()
  new Function('window', 'navigator', 'location', 'document', 'fetch', script)(
    window,
    { userAgent },
    { href },
    document,
    pageFetch,
  )
  const invoke = (name: string, args: unknown) =>
    new Promise<Record<string, unknown>>((resolve) => {
      window.WeixinJSBridge!.invoke(name, args, resolve)
    })
  return { window, fetches, invoke }
}

function preVerify(ticket: string, jsApiList: string[], url = URL_HOME) {
  const signed = request(ticket, { url })
  return {
    ...signed,
    appId: signed.verifyAppId,
    verifySignType: 'sha1',
    verifyJsApiList: jsApiList,
  }
}

describe('the bridge script', () => {
  const card = {
    title: '微信授权登录',
    desc: '用微信一键登录',
    link: 'http://localhost:8877/',
    imgUrl: 'http://localhost:8877/share-icon.png',
  }

  it('exists only where the User-Agent says MicroMessenger', () => {
    for (const script of [JSBRIDGE_SCRIPT, SAME_ORIGIN_JSBRIDGE_SCRIPT]) {
      expect(page(script, DESKTOP_UA).window.WeixinJSBridge).toBeUndefined()
      expect(page(script, ANDROID_UA).window.WeixinJSBridge).toBeDefined()
    }
  })

  it("same-origin, calls the emulator through the page's origin and logs the card", async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    const ticket = await issueTicket()
    const { invoke, fetches } = page(SAME_ORIGIN_JSBRIDGE_SCRIPT, ANDROID_UA)
    expect(
      await invoke('preVerifyJSAPI', preVerify(ticket, ['updateAppMessageShareData'])),
    ).toEqual({ errMsg: 'config:ok' })
    expect(await invoke('updateAppMessageShareData', card)).toEqual({
      errMsg: 'updateAppMessageShareData:ok',
    })
    expect(fetches).toEqual(['/__emulator/jssdk/verify', '/__emulator/jssdk/share'])
    const recorded = { api: 'updateAppMessageShareData', page: URL_HOME, ...card }
    expect((await call('GET', 'shares')).json).toEqual([recorded])
    expect(info.mock.calls).toEqual([['WeChat share card (emulator):', recorded]])
    info.mockRestore()
  })

  it('refuses a share API the config did not list, as WeChat does', async () => {
    const ticket = await issueTicket()
    const { invoke } = page(JSBRIDGE_SCRIPT, ANDROID_UA)
    await invoke('preVerifyJSAPI', preVerify(ticket, ['updateAppMessageShareData']))
    const { desc: _desc, ...timeline } = card
    expect(await invoke('updateTimelineShareData', timeline)).toEqual({
      errMsg: 'updateTimelineShareData:the permission value is offline verifying',
    })
    expect((await call('GET', 'shares')).json).toEqual([])
    // The list of the last config counts.
    await invoke('preVerifyJSAPI', preVerify(ticket, ['updateTimelineShareData']))
    expect(await invoke('updateTimelineShareData', timeline)).toEqual({
      errMsg: 'updateTimelineShareData:ok',
    })
    expect(await invoke('updateAppMessageShareData', card)).toEqual({
      errMsg: 'updateAppMessageShareData:the permission value is offline verifying',
    })
  })

  it('refuses a card whose link is off the JS接口安全域名', async () => {
    const ticket = await issueTicket()
    const { invoke } = page(JSBRIDGE_SCRIPT, ANDROID_UA)
    await invoke('preVerifyJSAPI', preVerify(ticket, ['updateAppMessageShareData']))
    expect(
      await invoke('updateAppMessageShareData', { ...card, link: 'https://elsewhere.example/' }),
    ).toEqual({ errMsg: 'updateAppMessageShareData:invalid url domain' })
    expect((await call('GET', 'shares')).json).toEqual([])
  })
})
