import { describe, expect, it, vi } from 'vitest'
import {
  cleanErrmsg,
  ERRMSG_MAX,
  checkAccessToken,
  exchangeCode,
  fetchUserInfo,
  refreshAccessToken,
  WechatError,
  type WechatClientOptions,
} from './wechat.ts'

const TOKEN = {
  access_token: '83_tokenvalue',
  expires_in: 7200,
  refresh_token: '83_refreshvalue',
  openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc',
  scope: 'snsapi_userinfo',
  unionid: 'o6_bmasdasdsad6_2sgVt7hMZOPfL',
}

function fakeFetch(body: string, status = 200) {
  return vi.fn<typeof fetch>(
    async () => new Response(body, { status, headers: { 'Content-Type': 'text/plain' } }),
  )
}

/** A WeChat that never answers, until the caller's signal gives up. */
function hangingFetch() {
  return vi.fn<typeof fetch>(
    (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      }),
  )
}

function client(fetchImpl: typeof fetch, timeoutMs = 1000): WechatClientOptions {
  return {
    apiBase: 'https://api.example.test',
    appId: 'wx1234567890abcdef',
    appSecret: 's3cr3t',
    timeoutMs,
    fetch: fetchImpl,
  }
}

function calledUrl(fetchMock: ReturnType<typeof fakeFetch>): string {
  return String(fetchMock.mock.calls[0]?.[0])
}

async function caught(promise: Promise<unknown>): Promise<WechatError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof WechatError) return error
    throw error
  }
  throw new Error('expected a WechatError')
}

describe('exchangeCode', () => {
  it('calls /sns/oauth2/access_token with appid, secret, code and grant_type', async () => {
    const fetchMock = fakeFetch(JSON.stringify(TOKEN))
    await exchangeCode(client(fetchMock), 'CODE123')
    expect(calledUrl(fetchMock)).toBe(
      'https://api.example.test/sns/oauth2/access_token?appid=wx1234567890abcdef&secret=s3cr3t&code=CODE123&grant_type=authorization_code',
    )
  })

  it('keeps every field of the token answer', async () => {
    const token = await exchangeCode(
      client(fakeFetch(JSON.stringify({ ...TOKEN, is_snapshotuser: 1 }))),
      'C',
    )
    expect(token).toEqual({
      access_token: '83_tokenvalue',
      expires_in: 7200,
      refresh_token: '83_refreshvalue',
      openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc',
      scope: 'snsapi_userinfo',
      unionid: 'o6_bmasdasdsad6_2sgVt7hMZOPfL',
      is_snapshotuser: true,
    })
  })

  it('reports no unionid and no snapshot when WeChat sends neither', async () => {
    const { unionid: _omit, ...withoutUnionid } = TOKEN
    const token = await exchangeCode(
      client(fakeFetch(JSON.stringify({ ...withoutUnionid, scope: 'snsapi_base' }))),
      'C',
    )
    expect(token.unionid).toBeUndefined()
    expect(token.is_snapshotuser).toBe(false)
    expect(token.scope).toBe('snsapi_base')
  })

  it('turns an errcode body into a WechatError carrying errcode and errmsg', async () => {
    const error = await caught(
      exchangeCode(
        client(
          fakeFetch('{"errcode":40163,"errmsg":"code been used, rid: 6114eeb9-0032c16a-61fbf7ce"}'),
        ),
        'C',
      ),
    )
    expect(error.kind).toBe('errcode')
    expect(error.endpoint).toBe('access_token')
    expect(error.errcode).toBe(40163)
    expect(error.errmsg).toBe('code been used')
    expect(error.message).toBe('access_token errcode 40163: code been used')
  })

  it('keeps none of what an errmsg echoes of the request', async () => {
    const code = '061AbCdEfGhIjKlMnOpQrStUvWxYz012'
    const error = await caught(
      exchangeCode(
        client(
          fakeFetch(
            JSON.stringify({ errcode: 40029, errmsg: `invalid code ${code}, hints: [ x ]` }),
          ),
        ),
        code,
      ),
    )
    expect([error.errcode, error.errmsg, error.message]).toEqual([
      40029,
      'invalid code',
      'access_token errcode 40029: invalid code',
    ])
  })

  it.each([
    ['not json', '<html>502 Bad Gateway</html>'],
    ['truncated json', '{"access_token":"83_abc","expi'],
    ['a json array', '[]'],
    ['an object without access_token', '{"openid":"o1"}'],
  ])('answers bad_body for %s', async (_name, body) => {
    expect((await caught(exchangeCode(client(fakeFetch(body)), 'C'))).kind).toBe('bad_body')
  })

  it('answers http_status for a 5xx', async () => {
    const error = await caught(exchangeCode(client(fakeFetch('busy', 503)), 'C'))
    expect(error.kind).toBe('http_status')
    expect(error.status).toBe(503)
  })

  it('answers network when the connection fails', async () => {
    const failing = vi.fn<typeof fetch>(async () => {
      throw new TypeError('fetch failed')
    })
    expect((await caught(exchangeCode(client(failing), 'C'))).kind).toBe('network')
  })

  it('gives up after timeoutMs when WeChat does not answer', async () => {
    const hanging = hangingFetch()
    const started = Date.now()
    const error = await caught(exchangeCode(client(hanging, 150), 'C'))
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('no answer from access_token within 150 ms')
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe('fetchUserInfo', () => {
  it('calls /sns/userinfo with the token, openid and lang', async () => {
    const fetchMock = fakeFetch(
      JSON.stringify({
        openid: TOKEN.openid,
        nickname: '🌸小明',
        sex: 0,
        province: '',
        city: '',
        country: '',
        headimgurl: 'https://thirdwx.qlogo.cn/mmopen/abc/132',
        privilege: [],
      }),
    )
    const info = await fetchUserInfo(client(fetchMock), TOKEN, 'zh_TW')
    expect(calledUrl(fetchMock)).toBe(
      `https://api.example.test/sns/userinfo?access_token=83_tokenvalue&openid=${TOKEN.openid}&lang=zh_TW`,
    )
    expect(info.nickname).toBe('🌸小明')
    expect(info.unionid).toBeUndefined()
  })

  it("refuses a profile of another openid than the token's", async () => {
    const other = JSON.stringify({ openid: 'oSOMEONEELSE0000000000000001', nickname: 'x' })
    const error = await caught(fetchUserInfo(client(fakeFetch(other)), TOKEN, 'zh_CN'))
    expect([error.kind, error.endpoint, error.message]).toEqual([
      'openid_mismatch',
      'userinfo',
      'userinfo answered another openid',
    ])
  })

  it('maps 48001 for a snsapi_base token', async () => {
    const error = await caught(
      fetchUserInfo(
        client(fakeFetch('{"errcode":48001,"errmsg":"api unauthorized, rid: x"}')),
        TOKEN,
        'zh_CN',
      ),
    )
    expect([error.endpoint, error.errcode]).toEqual(['userinfo', 48001])
  })
})

describe('refreshAccessToken and checkAccessToken', () => {
  it('refreshes without sending the secret', async () => {
    const fetchMock = fakeFetch(JSON.stringify(TOKEN))
    await refreshAccessToken(client(fetchMock), '83_refreshvalue')
    expect(calledUrl(fetchMock)).toBe(
      'https://api.example.test/sns/oauth2/refresh_token?appid=wx1234567890abcdef&grant_type=refresh_token&refresh_token=83_refreshvalue',
    )
  })

  it('accepts /sns/auth errcode 0 and rejects 40014', async () => {
    await expect(
      checkAccessToken(client(fakeFetch('{"errcode":0,"errmsg":"ok"}')), TOKEN),
    ).resolves.toBeUndefined()
    const error = await caught(
      checkAccessToken(
        client(fakeFetch('{"errcode":40014,"errmsg":"invalid access_token, rid: y"}')),
        TOKEN,
      ),
    )
    expect(error.errcode).toBe(40014)
  })
})

describe('deadline', () => {
  it('shortens a call to the time left before the deadline', async () => {
    const hanging = hangingFetch()
    const started = Date.now()
    const error = await caught(
      exchangeCode({ ...client(hanging, 5000), deadline: Date.now() + 200 }, 'C'),
    )
    expect(error.kind).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('does not call WeChat at all once the deadline has passed', async () => {
    const fetchMock = fakeFetch('{}')
    const error = await caught(
      exchangeCode({ ...client(fetchMock), deadline: Date.now() - 1 }, 'C'),
    )
    expect([error.kind, error.message]).toEqual(['timeout', 'no time left for access_token'])
    expect(fetchMock).not.toHaveBeenCalled()
  })
})

describe('without a fetch of its own', () => {
  /**
   * A local WeChat that answers a token, hangs on /sns/auth, and counts its calls; with
   * `dropNext`, it resets the connection of the next call instead of answering, as a server
   * does with a kept-alive connection it closed while idle.
   */
  async function localWechat() {
    const { createServer } = await import('node:http')
    const calls: string[] = []
    const wechat = { dropNext: false, calls, apiBase: '', close: async () => {} }
    const server = createServer((req, res) => {
      calls.push(req.url ?? '')
      if (wechat.dropNext) {
        wechat.dropNext = false
        return req.socket.destroy()
      }
      if (req.url?.startsWith('/sns/auth')) return
      res.end(JSON.stringify(TOKEN))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    wechat.apiBase = `http://127.0.0.1:${port}`
    wechat.close = async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    return wechat
  }

  it('calls the global fetch as it is at call time, with the same errors', async () => {
    const wechat = await localWechat()
    const platform = globalThis.fetch
    const seen: string[] = []
    vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(String(input).split('?')[0]!)
      return platform(input, init)
    })
    const options = { ...client(platform, 150), apiBase: wechat.apiBase, fetch: undefined }
    try {
      expect((await exchangeCode(options, 'C')).openid).toBe(TOKEN.openid)
      const hung = await caught(checkAccessToken(options, TOKEN))
      expect([hung.kind, hung.message]).toEqual(['timeout', 'no answer from auth within 150 ms'])
      await wechat.close()
      expect((await caught(exchangeCode(options, 'C'))).kind).toBe('network')
      expect(wechat.calls.map((url) => url.split('?')[0])).toEqual([
        '/sns/oauth2/access_token',
        '/sns/auth',
      ])
      expect(seen).toEqual([
        `${wechat.apiBase}/sns/oauth2/access_token`,
        `${wechat.apiBase}/sns/auth`,
        `${wechat.apiBase}/sns/oauth2/access_token`,
      ])
    } finally {
      vi.unstubAllGlobals()
      await wechat.close()
    }
  })

  it('never sends a code exchange twice, even when its kept-alive connection is reset', async () => {
    const wechat = await localWechat()
    const options = { ...client(fetch), apiBase: wechat.apiBase, fetch: undefined }
    try {
      expect((await exchangeCode(options, 'FIRST')).openid).toBe(TOKEN.openid)
      wechat.dropNext = true
      expect((await caught(exchangeCode(options, 'SECOND'))).kind).toBe('network')
      expect(
        wechat.calls.map((url) => new URL(url, wechat.apiBase).searchParams.get('code')),
      ).toEqual(['FIRST', 'SECOND'])
    } finally {
      await wechat.close()
    }
  })
})

describe('cleanErrmsg', () => {
  const TOKEN = `83_${'Ab0-_'.repeat(21)}xy`
  it.each([
    ['code been used, rid: 6114eeb9-0032c16a-61fbf7ce', 'code been used'],
    ['invalid code, hints: [ req_id: mGFdAa05922010 ]', 'invalid code'],
    [
      'invalid credential, access_token is invalid or not latest, rid: 1-2-3',
      'invalid credential, access_token is invalid or not latest',
    ],
    [
      'api minute-quota reach limit, must slower, retry next minute',
      'api minute-quota reach limit, must slower, retry next minute',
    ],
    ['invalid appsecret, view more at http://t.cn/RAEkdVq, rid: x', 'invalid appsecret'],
    ['invalid ip 47.96.1.2 ipv6 ::ffff:47.96.1.2, not in whitelist', 'invalid ip'],
    [`invalid access_token ${TOKEN}`, 'invalid access_token'],
    [`${TOKEN} is invalid`, ''],
    ['invalid code 061AbCdEfGhIjKlMnOpQrStUvWxYz012', 'invalid code'],
    // A code of letters alone is longer than any word of WeChat's.
    ['invalid code abcdefghijklmnopqrstuvwxyzABCDEF', 'invalid code'],
    ['invalid code: "abc"', 'invalid code'],
    ['系统错误 system error', ''],
    ['<script>alert(1)</script>', ''],
    ['', ''],
  ])('%j → %j', (raw, clean) => {
    expect(cleanErrmsg(raw)).toBe(clean)
  })

  it(`keeps at most ${ERRMSG_MAX} characters, ending on a whole word`, () => {
    const clean = cleanErrmsg('word '.repeat(100))
    expect(clean.length).toBeLessThanOrEqual(ERRMSG_MAX)
    expect(clean).toMatch(/^(word )+word$/)
  })
})
