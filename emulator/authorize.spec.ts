import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { isWechatUserAgent } from './authorize'
import {
  APP_CALLBACK,
  authorizeUrl,
  confirm,
  DESKTOP_CHROME_UA,
  exchange,
  loadPage,
  postJson,
  queryOf,
  redirectTarget,
  startEmulator,
  validParams,
  T0,
} from './test-support/index.ts'
import { TEST_USERS } from './users'

const emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

const CODE = '[0-9A-Za-z]{32}'

function silentUrl(overrides: Parameters<typeof validParams>[0] = {}) {
  return authorizeUrl(emulator.url, validParams({ scope: 'snsapi_base', ...overrides }))
}

describe('snsapi_base', () => {
  it('answers a page that redirects with a code and the state, without consent', async () => {
    const page = await loadPage(silentUrl())

    expect(page.status).toBe(200)
    expect(redirectTarget(page)).toMatch(
      new RegExp(`^${APP_CALLBACK}\\?code=${CODE}&state=xyz123$`),
    )
    expect(page.document.querySelector('input[name="user"]')).toBeNull()
    expect(page.errcode).toBeNull()
  })

  it('checks #wechat_redirect in the page and leaves with location.replace', async () => {
    const page = await loadPage(silentUrl())

    const script = page.document.querySelector('script')?.textContent ?? ''
    expect(script).toContain("location.hash !== '#wechat_redirect'")
    expect(script).toContain('location.replace(document.body.dataset.redirect)')
  })

  it('gives a new code every time', async () => {
    const first = redirectTarget(await loadPage(silentUrl()))
    const second = redirectTarget(await loadPage(silentUrl()))

    expect(first).not.toBe(second)
  })

  it('puts the query before the fragment and joins an existing query with &', async () => {
    const page = await loadPage(
      silentUrl({ redirectUri: 'http://localhost:8888/app/?from=menu#/profile?tab=1' }),
    )

    expect(redirectTarget(page)).toMatch(
      new RegExp(
        `^http://localhost:8888/app/\\?from=menu&code=${CODE}&state=xyz123#/profile\\?tab=1$`,
      ),
    )
  })

  it('adds no second separator when redirect_uri ends with ?', async () => {
    const page = await loadPage(silentUrl({ redirectUri: 'http://localhost/cb?' }))

    expect(redirectTarget(page)).toMatch(
      new RegExp(`^http://localhost/cb\\?code=${CODE}&state=xyz123$`),
    )
  })

  it('sends state= when the link had an empty state or none', async () => {
    const empty = await loadPage(silentUrl({ state: '' }))
    const withoutState = validParams({ scope: 'snsapi_base' }).slice(0, 4)
    const absent = await loadPage(authorizeUrl(emulator.url, withoutState))

    expect(redirectTarget(empty)).toMatch(new RegExp(`^${APP_CALLBACK}\\?code=${CODE}&state=$`))
    expect(redirectTarget(absent)).toMatch(new RegExp(`^${APP_CALLBACK}\\?code=${CODE}&state=$`))
  })

  it('accepts a 128-character state', async () => {
    const state = 'a'.repeat(128)
    const page = await loadPage(silentUrl({ state }))

    expect(redirectTarget(page)).toMatch(new RegExp(`&state=${state}$`))
  })

  it('ignores connect_redirect=1 wherever it is and accepts forcePopup=true last', async () => {
    const params = validParams({ scope: 'snsapi_base' })
    const links = [
      [['connect_redirect', '1'], ...params],
      [...params.slice(0, 2), ['connect_redirect', '1'], ...params.slice(2)],
      [...params, ['forcePopup', 'true'], ['connect_redirect', '1']],
    ] as const

    for (const link of links) {
      const page = await loadPage(authorizeUrl(emulator.url, link))
      expect(redirectTarget(page)).toMatch(
        new RegExp(`^${APP_CALLBACK}\\?code=${CODE}&state=xyz123$`),
      )
    }
  })

  it('ignores the port of redirect_uri and the case of its host', async () => {
    const page = await loadPage(silentUrl({ redirectUri: 'https://LOCALHOST:4443/cb' }))

    expect(redirectTarget(page)).toMatch(
      new RegExp(`^https://LOCALHOST:4443/cb\\?code=${CODE}&state=xyz123$`),
    )
  })

  it('issues the code for the user chosen through the control API', async () => {
    emulator.setNextUser('no-unionid')
    const code = new URL(redirectTarget(await loadPage(silentUrl()))).searchParams.get('code') ?? ''

    const token = await exchange(emulator, code)

    const expected = emulator.users().find((user) => user.id === 'no-unionid')?.openid
    expect(token.body.openid).toBe(expected)
    expect(token.body.scope).toBe('snsapi_base')
  })
})

describe('snsapi_userinfo consent sheet', () => {
  it('shows the app, the permission, the users and 允许 / 拒绝 on a mobile page', async () => {
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))
    const { document } = page

    expect(page.status).toBe(200)
    expect(document.documentElement.lang).toBe('zh-CN')
    expect(document.querySelector('meta[name="viewport"]')?.getAttribute('content')).toContain(
      'width=device-width',
    )
    expect(document.querySelector('#app-name')?.textContent).toBe('本地测试公众号')
    expect(document.querySelector('.ask')?.textContent).toBe(
      '申请获取以下权限：获得你的公开信息（昵称、头像等）',
    )
    const allow = document.querySelector('button[data-decision="allow"]')
    const deny = document.querySelector('button[data-decision="deny"]')
    expect(allow?.textContent).toBe('允许')
    expect(allow?.classList.contains('btn-primary')).toBe(true)
    expect(deny?.textContent).toBe('拒绝')
  })

  it('leaves with location.replace, so the sheet does not stay in history', async () => {
    const { document } = await loadPage(authorizeUrl(emulator.url, validParams()))

    const script = document.querySelector('script')?.textContent ?? ''
    expect(script).toContain("request.open('POST', '/connect/oauth2/authorize/confirm')")
    expect(script).toContain('location.replace(answer.redirect)')
    expect(script).not.toMatch(/location\.(assign|href)/)
  })

  it('lists every test user as a radio labelled with the nickname, normal preselected', async () => {
    const { document } = await loadPage(authorizeUrl(emulator.url, validParams()))

    const options = [...document.querySelectorAll('label.user')].map((label) => ({
      value: label.querySelector('input')?.value,
      checked: label.querySelector('input')?.checked,
      nickname: label.querySelector('.nickname')?.textContent,
    }))
    expect(options).toEqual(
      TEST_USERS.map((user) => ({
        value: user.id,
        checked: user.id === 'normal',
        nickname: user.nickname,
      })),
    )
  })

  it('escapes the HTML nickname', async () => {
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))

    expect(page.html).not.toContain('<script>alert("xss")</script>')
    expect(page.html).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;&amp;amp;')
    expect(page.document.querySelectorAll('img[onerror]')).toHaveLength(0)
    expect(page.document.querySelectorAll('script')).toHaveLength(1)
  })

  it('preselects the next user set through the control API', async () => {
    emulator.setNextUser('emoji')
    const { document } = await loadPage(authorizeUrl(emulator.url, validParams()))

    expect(document.querySelector<HTMLInputElement>('input[name="user"]:checked')?.value).toBe(
      'emoji',
    )
  })

  it('skips consent for the snapshot user and marks the token is_snapshotuser', async () => {
    emulator.setNextUser('snapshot')
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))

    const target = redirectTarget(page)
    expect(target).toMatch(new RegExp(`^${APP_CALLBACK}\\?code=${CODE}&state=xyz123$`))
    const token = await exchange(emulator, new URL(target).searchParams.get('code') ?? '')
    expect(token.body.is_snapshotuser).toBe(1)
    expect(token.body.scope).toBe('snsapi_userinfo')
  })

  it('is never cached', async () => {
    const response = await fetch(authorizeUrl(emulator.url, validParams()), {
      headers: { 'User-Agent': 'MicroMessenger/8.0.40' },
    })

    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
  })
})

describe('consent answers', () => {
  const link = () => authorizeUrl(emulator.url, validParams())

  it('redirects with a code for the chosen user on 允许', async () => {
    const answer = await confirm(emulator, queryOf(link()), 'emoji', 'allow')

    expect(answer.status).toBe(200)
    const { redirect } = answer.json as { redirect: string }
    expect(redirect).toMatch(new RegExp(`^${APP_CALLBACK}\\?code=${CODE}&state=xyz123$`))
    const token = await exchange(emulator, new URL(redirect).searchParams.get('code') ?? '')
    expect(token.body.openid).toBe(emulator.users().find((user) => user.id === 'emoji')?.openid)
  })

  it('redirects with the state only on 拒绝, before the fragment', async () => {
    const query = queryOf(
      authorizeUrl(emulator.url, validParams({ redirectUri: 'http://localhost/#/login' })),
    )

    const answer = await confirm(emulator, query, 'normal', 'deny')

    expect(answer).toMatchObject({
      status: 200,
      json: { redirect: 'http://localhost/?state=xyz123#/login' },
    })
  })

  it('checks the original link again and refuses a tampered one', async () => {
    const query = queryOf(
      authorizeUrl(emulator.url, validParams({ redirectUri: 'https://evil.example/' })),
    )

    const answer = await confirm(emulator, query, 'normal', 'allow')

    expect(answer).toMatchObject({
      status: 400,
      json: { code: 10003, error: 'redirect_uri域名与后台配置不一致，错误码：10003' },
    })
  })

  it('refuses an unknown user, an unknown decision and a body that is not JSON', async () => {
    const badRequest = { status: 400, json: { code: 'bad-request', error: '请求参数格式错误' } }
    const url = `${emulator.url}/connect/oauth2/authorize/confirm`

    expect(await confirm(emulator, queryOf(link()), 'nobody', 'allow')).toMatchObject(badRequest)
    expect(await confirm(emulator, queryOf(link()), 'normal', 'maybe')).toMatchObject(badRequest)
    expect(await postJson(url, '{"query":')).toMatchObject(badRequest)
    expect(await postJson(url, [1, 2])).toMatchObject(badRequest)
  })

  it('refuses a browser outside WeChat', async () => {
    const answer = await confirm(emulator, queryOf(link()), 'normal', 'allow', {
      'User-Agent': DESKTOP_CHROME_UA,
    })

    expect(answer).toMatchObject({
      status: 400,
      json: { code: 'not-wechat', error: '请在微信客户端打开链接' },
    })
  })

  it('answers 405 to anything but POST and 413 to a huge body', async () => {
    const url = `${emulator.url}/connect/oauth2/authorize/confirm`
    const get = await fetch(url)
    const huge = await postJson(url, { query: 'x'.repeat(20_000) })

    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect(huge).toMatchObject({ status: 413, json: { error: 'request body too large' } })
  })

  it('is logged with the link, the user and the decision', async () => {
    await confirm(emulator, queryOf(link()), 'html', 'deny')

    expect(emulator.log()).toEqual([
      {
        at: T0,
        endpoint: 'confirm',
        query: {
          appid: emulator.appId,
          redirect_uri: APP_CALLBACK,
          response_type: 'code',
          scope: 'snsapi_userinfo',
          state: 'xyz123',
          user: 'html',
          decision: 'deny',
        },
      },
    ])
  })
})

describe('authorize error pages', () => {
  const ok = validParams()
  const without = (key: string) => ok.filter(([name]) => name !== key)
  const replaced = (key: string, value: string) =>
    ok.map(([name, old]) => [name, name === key ? value : old] as const)

  const cases: Array<[string, ReadonlyArray<readonly [string, string]>, string, string]> = [
    ['appid missing', without('appid'), '10012', 'appid不能为空，错误码：10012'],
    ['appid empty', replaced('appid', ''), '10012', 'appid不能为空，错误码：10012'],
    [
      'redirect_uri missing',
      without('redirect_uri'),
      '10011',
      'redirect_uri不能为空，错误码：10011',
    ],
    ['scope missing', without('scope'), '10010', 'scope不能为空，错误码：10010'],
    ['everything missing', [], '10012', 'appid不能为空，错误码：10012'],
    [
      'a missing parameter before the wrong order',
      [ok[3]!, ok[2]!, ok[0]!],
      '10011',
      'redirect_uri不能为空，错误码：10011',
    ],
    [
      'scope before response_type',
      [ok[0]!, ok[1]!, ok[3]!, ok[2]!, ok[4]!],
      'param-order',
      'Scope 参数错误或没有 Scope 权限',
    ],
    [
      'redirect_uri first',
      [ok[1]!, ok[0]!, ok[2]!, ok[3]!],
      'param-order',
      'Scope 参数错误或没有 Scope 权限',
    ],
    [
      'a repeated appid',
      [...ok, ['appid', 'wx0']],
      'param-order',
      'Scope 参数错误或没有 Scope 权限',
    ],
    [
      'forcePopup before state',
      [...ok.slice(0, 4), ['forcePopup', 'true'], ok[4]!],
      'param-order',
      'Scope 参数错误或没有 Scope 权限',
    ],
    ['an unknown appid', replaced('appid', 'wx0000000000000000'), 'unknown-appid', 'appid参数错误'],
    [
      'an unknown appid before a foreign domain',
      [['appid', 'wx0'], ['redirect_uri', 'http://evil.example/'], ...ok.slice(2)],
      'unknown-appid',
      'appid参数错误',
    ],
    [
      'another domain',
      replaced('redirect_uri', 'http://evil.example/cb'),
      '10003',
      'redirect_uri域名与后台配置不一致，错误码：10003',
    ],
    [
      'a subdomain',
      replaced('redirect_uri', 'http://app.localhost/cb'),
      '10003',
      'redirect_uri域名与后台配置不一致，错误码：10003',
    ],
    [
      'a look-alike domain',
      replaced('redirect_uri', 'http://localhost.evil.example/'),
      '10003',
      'redirect_uri域名与后台配置不一致，错误码：10003',
    ],
    [
      'a relative redirect_uri',
      replaced('redirect_uri', '/auth/callback'),
      '10003',
      'redirect_uri域名与后台配置不一致，错误码：10003',
    ],
    [
      'a redirect_uri without scheme',
      replaced('redirect_uri', 'localhost/cb'),
      '10003',
      'redirect_uri域名与后台配置不一致，错误码：10003',
    ],
    [
      'a non-web scheme',
      replaced('redirect_uri', 'ftp://localhost/cb'),
      '10003',
      'redirect_uri域名与后台配置不一致，错误码：10003',
    ],
    [
      'response_type token',
      replaced('response_type', 'token'),
      'response-type',
      'response_type参数错误',
    ],
    ['response_type missing', without('response_type'), 'response-type', 'response_type参数错误'],
    [
      'an unknown scope',
      replaced('scope', 'snsapi_login'),
      '10005',
      '此公众号并没有这些scope的权限，错误码：10005',
    ],
    ['a state with a dash', replaced('state', 'abc-123'), 'invalid-state', 'state参数错误'],
    [
      'a state of 129 characters',
      replaced('state', 'a'.repeat(129)),
      'invalid-state',
      'state参数错误',
    ],
    ['a non-ASCII state', replaced('state', '状态'), 'invalid-state', 'state参数错误'],
  ]

  it.each(cases)('shows %s', async (_name, params, errcode, text) => {
    const page = await loadPage(authorizeUrl(emulator.url, params))

    expect(page.status).toBe(200)
    expect(page.errcode).toBe(errcode)
    expect(page.text).toBe(text)
    expect(page.document.documentElement.lang).toBe('zh-CN')
    expect(page.document.querySelector('meta[name="viewport"]')).not.toBeNull()
  })

  it('logs numbered errors with their errcode and others with their name', async () => {
    await loadPage(authorizeUrl(emulator.url, without('scope')))
    await loadPage(authorizeUrl(emulator.url, replaced('state', '!')))

    expect(emulator.log().map(({ errcode, error }) => ({ errcode, error }))).toEqual([
      { errcode: 10010, error: undefined },
      { errcode: undefined, error: 'invalid-state' },
    ])
  })

  it('answers 400 to malformed percent-encoding', async () => {
    const page = await loadPage(
      `${emulator.url}/connect/oauth2/authorize?appid=${emulator.appId}&redirect_uri=%E0%A4%A&response_type=code&scope=snsapi_base`,
    )

    expect(page.status).toBe(400)
    expect(page.errcode).toBe('bad-request')
    expect(page.text).toBe('请求参数格式错误')
  })

  it('answers 405 to other methods', async () => {
    const response = await fetch(authorizeUrl(emulator.url, validParams()), { method: 'POST' })

    expect(response.status).toBe(405)
  })
})

describe('outside WeChat', () => {
  const link = () => authorizeUrl(emulator.url, validParams())

  it('refuses a desktop browser and a missing User-Agent', async () => {
    for (const userAgent of [DESKTOP_CHROME_UA, '']) {
      const page = await loadPage(link(), { 'User-Agent': userAgent })
      expect(page.status).toBe(200)
      expect(page.errcode).toBe('not-wechat')
      expect(page.text).toBe('请在微信客户端打开链接')
      expect(page.document.querySelector('button')).toBeNull()
    }
  })

  it('refuses before looking at the parameters', async () => {
    const page = await loadPage(`${emulator.url}/connect/oauth2/authorize`, {
      'User-Agent': DESKTOP_CHROME_UA,
    })

    expect(page.errcode).toBe('not-wechat')
    expect(emulator.log()).toMatchObject([{ endpoint: 'authorize', error: 'not-wechat' }])
  })

  it('ignores the desktop cookie unless allowDesktop is on', async () => {
    const page = await loadPage(link(), {
      'User-Agent': DESKTOP_CHROME_UA,
      Cookie: 'emulator_desktop=1',
    })

    expect(page.errcode).toBe('not-wechat')
  })

  it('offers 「继续（仅限开发环境）」 with allowDesktop, and proceeds with its cookie', async () => {
    emulator.setConfig({ allowDesktop: true })

    const refused = await loadPage(link(), { 'User-Agent': DESKTOP_CHROME_UA })
    const allowed = await loadPage(link(), {
      'User-Agent': DESKTOP_CHROME_UA,
      Cookie: 'theme=dark; emulator_desktop=1',
    })

    expect(refused.text).toBe('请在微信客户端打开链接')
    expect(refused.document.querySelector('#desktop-continue')?.textContent).toBe(
      '继续（仅限开发环境）',
    )
    expect(allowed.document.querySelector('#app-name')?.textContent).toBe('本地测试公众号')
    const answer = await confirm(emulator, queryOf(link()), 'normal', 'allow', {
      'User-Agent': DESKTOP_CHROME_UA,
      Cookie: 'emulator_desktop=1',
    })
    expect(answer.status).toBe(200)
  })

  it('lets every browser through when requireWechatUa is off', async () => {
    emulator.setConfig({ requireWechatUa: false })

    const page = await loadPage(link(), { 'User-Agent': DESKTOP_CHROME_UA })

    expect(page.document.querySelector('#app-name')?.textContent).toBe('本地测试公众号')
  })
})

describe('isWechatUserAgent', () => {
  it.each([
    [
      'iOS',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN',
      true,
    ],
    [
      'Android',
      'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20230805 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 NetType/WIFI Language/zh_CN',
      true,
    ],
    [
      'Windows',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13) UnifiedPCWindowsWechat(0xf2541022) XWEB/16467 Flue',
      true,
    ],
    [
      'macOS',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) MacWechat/3.3(0x13030013) NetType/WIFI WindowsWechat',
      true,
    ],
    [
      'WeCom',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/7.0.1 wxwork/4.1.6 ColorScheme/Light',
      true,
    ],
    ['desktop Chrome', DESKTOP_CHROME_UA, false],
    ['no User-Agent', undefined, false],
  ])('%s', (_name, userAgent, expected) => {
    expect(isWechatUserAgent(userAgent)).toBe(expected)
  })
})
