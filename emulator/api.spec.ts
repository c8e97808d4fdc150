import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from './server'
import {
  errorSeen,
  exchange,
  obtainCode,
  sns,
  startEmulator,
  T0,
  wechatError,
} from './test-support/index.ts'
import { TEST_USERS, testUser, type TestUserId } from './users'

const emulator: Emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

const TOKEN = /^83_[A-Za-z0-9_-]{107}$/
const OPENID = /^o[A-Za-z0-9_-]{27}$/
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

function openidOf(user: TestUserId): string {
  const summary = emulator.users().find(({ id }) => id === user)
  if (!summary) throw new Error(`no user ${user}`)
  return summary.openid
}

async function tokensFor(
  user: TestUserId,
  scope: 'snsapi_base' | 'snsapi_userinfo' = 'snsapi_userinfo',
) {
  const { body } = await exchange(emulator, await obtainCode(emulator, { user, scope }))
  return body as { access_token: string; refresh_token: string; openid: string }
}

describe('/sns/oauth2/access_token', () => {
  const params = (code: string) => ({
    appid: emulator.appId,
    secret: emulator.appSecret,
    code,
    grant_type: 'authorization_code',
  })

  it('exchanges a snsapi_userinfo code for tokens, the openid and the unionid', async () => {
    const answer = await exchange(emulator, await obtainCode(emulator))

    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain')
    expect(Object.keys(answer.body)).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'openid',
      'scope',
      'unionid',
    ])
    expect(answer.body).toMatchObject({
      expires_in: 7200,
      openid: openidOf('normal'),
      scope: 'snsapi_userinfo',
      unionid: testUser('normal').unionid,
    })
    expect(answer.body.access_token).toMatch(TOKEN)
    expect(answer.body.refresh_token).toMatch(TOKEN)
    expect(answer.body.access_token).not.toBe(answer.body.refresh_token)
  })

  it('gives no unionid for snsapi_base', async () => {
    const answer = await exchange(emulator, await obtainCode(emulator, { scope: 'snsapi_base' }))

    expect(Object.keys(answer.body)).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'openid',
      'scope',
    ])
    expect(answer.body.scope).toBe('snsapi_base')
  })

  it('gives no unionid for a user who has none', async () => {
    const answer = await exchange(emulator, await obtainCode(emulator, { user: 'no-unionid' }))

    expect(answer.body).not.toHaveProperty('unionid')
    expect(answer.body.openid).toBe(openidOf('no-unionid'))
  })

  it('marks the snapshot user with is_snapshotuser: 1, and nobody else', async () => {
    const snapshot = await exchange(emulator, await obtainCode(emulator, { user: 'snapshot' }))
    const normal = await exchange(emulator, await obtainCode(emulator, { user: 'normal' }))

    expect(snapshot.body).toMatchObject({
      is_snapshotuser: 1,
      scope: 'snsapi_userinfo',
      openid: openidOf('snapshot'),
      unionid: testUser('snapshot').unionid,
    })
    expect(Object.keys(snapshot.body).indexOf('is_snapshotuser')).toBe(5)
    expect(normal.body).not.toHaveProperty('is_snapshotuser')
  })

  it('gives the snapshot user no virtual identity on snsapi_base (§7: no snapshot for base)', async () => {
    const code = await obtainCode(emulator, { user: 'snapshot', scope: 'snsapi_base' })
    const answer = await exchange(emulator, code)

    expect(answer.body).toMatchObject({ scope: 'snsapi_base', openid: openidOf('snapshot') })
    expect(answer.body).not.toHaveProperty('is_snapshotuser')
  })

  it('gives each user a stable openid, different from every other user', async () => {
    const first = await tokensFor('emoji')
    const again = await tokensFor('emoji', 'snsapi_base')
    const openids = TEST_USERS.map(({ id }) => openidOf(id))

    expect(first.openid).toBe(again.openid)
    expect(new Set(openids).size).toBe(TEST_USERS.length)
    for (const openid of openids) expect(openid).toMatch(OPENID)
  })

  it('accepts POST with the parameters in the query', async () => {
    const code = await obtainCode(emulator)
    const response = await fetch(
      `${emulator.url}/sns/oauth2/access_token?${new URLSearchParams(params(code))}`,
      { method: 'POST', body: 'ignored' },
    )

    expect(await response.json()).toMatchObject({ openid: openidOf('normal') })
  })

  it('answers 40163 to a code used twice', async () => {
    const code = await obtainCode(emulator)
    await exchange(emulator, code)

    expect(errorSeen(await exchange(emulator, code))).toEqual(wechatError(40163, 'code been used'))
  })

  it('answers 40029 to a code it never issued', async () => {
    expect(errorSeen(await exchange(emulator, 'A'.repeat(32)))).toEqual(
      wechatError(40029, 'invalid code'),
    )
  })

  it('accepts a code until five minutes after issue, then answers 40029', async () => {
    const fresh = await obtainCode(emulator)
    const stale = await obtainCode(emulator)
    emulator.advanceClock(299_999)

    expect((await exchange(emulator, fresh)).body.openid).toBe(openidOf('normal'))
    emulator.advanceClock(1)
    expect(errorSeen(await exchange(emulator, stale))).toEqual(wechatError(40029, 'invalid code'))
  })

  it('answers 42003 to an expired code when so configured', async () => {
    emulator.setConfig({ expiredCodeErrcode: 42003 })
    const code = await obtainCode(emulator)
    emulator.advanceClock(300_000)

    expect(errorSeen(await exchange(emulator, code))).toEqual(wechatError(42003, 'code expired'))
  })

  it('applies a changed code lifetime to new codes', async () => {
    emulator.setConfig({ codeTtlMs: 1000 })
    const code = await obtainCode(emulator)
    emulator.advanceClock(1000)

    expect(errorSeen(await exchange(emulator, code))).toEqual(wechatError(40029, 'invalid code'))
  })

  it('burns the code on a -1 system error: the retry gets 40163', async () => {
    const code = await obtainCode(emulator)
    emulator.addFault({ endpoint: 'access_token', errcode: -1 })

    expect(errorSeen(await exchange(emulator, code))).toEqual(wechatError(-1, 'system error'))
    expect(errorSeen(await exchange(emulator, code))).toEqual(wechatError(40163, 'code been used'))
  })

  it('puts a fresh rid in every errmsg', async () => {
    const first = await exchange(emulator, 'nope')
    const second = await exchange(emulator, 'nope')

    expect(first.body.errmsg).not.toBe(second.body.errmsg)
  })

  it.each([
    ['no code', { code: '' }, 41008, 'missing code'],
    ['no appid', { appid: undefined }, 41002, 'appid missing'],
    ['no secret', { secret: undefined }, 41004, 'appsecret missing'],
    [
      'no secret and a wrong appid',
      { secret: undefined, appid: 'wx0' },
      41004,
      'appsecret missing',
    ],
    ['no grant_type', { grant_type: undefined }, 40002, 'invalid grant_type'],
    ['another grant_type', { grant_type: 'client_credential' }, 40002, 'invalid grant_type'],
    ['an unknown appid', { appid: 'wx0000000000000000' }, 40013, 'invalid appid'],
    ['a wrong secret', { secret: 'f'.repeat(32) }, 40125, 'invalid appsecret'],
  ])('answers %s with its errcode', async (_name, overrides, errcode, errmsg) => {
    const all: Record<string, string | undefined> = {
      ...params(await obtainCode(emulator)),
      ...overrides,
    }
    const query = Object.fromEntries(
      Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
    )

    expect(errorSeen(await sns(emulator, '/sns/oauth2/access_token', query))).toEqual(
      wechatError(errcode, errmsg),
    )
    expect(emulator.log().at(-1)).toMatchObject({ endpoint: 'access_token', errcode })
  })

  it('checks for a missing code first', async () => {
    expect(errorSeen(await sns(emulator, '/sns/oauth2/access_token', {}))).toEqual(
      wechatError(41008, 'missing code'),
    )
  })

  it('keeps the code when the exchange is refused before the code is looked at', async () => {
    const code = await obtainCode(emulator)
    await sns(emulator, '/sns/oauth2/access_token', { ...params(code), secret: 'wrong' })

    expect((await exchange(emulator, code)).body.openid).toBe(openidOf('normal'))
  })
})

describe('/sns/oauth2/refresh_token', () => {
  const refresh = (refreshToken: string, overrides: Record<string, string> = {}) =>
    sns(emulator, '/sns/oauth2/refresh_token', {
      appid: emulator.appId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...overrides,
    })

  it('keeps an unexpired access token and extends its life', async () => {
    const tokens = await tokensFor('normal')
    emulator.advanceClock(2 * HOUR_MS - 1)

    const answer = await refresh(tokens.refresh_token)

    expect(answer.body).toEqual({
      access_token: tokens.access_token,
      expires_in: 7200,
      refresh_token: tokens.refresh_token,
      openid: openidOf('normal'),
      scope: 'snsapi_userinfo',
    })
    emulator.advanceClock(2 * HOUR_MS - 1)
    const info = await sns(emulator, '/sns/userinfo', {
      access_token: tokens.access_token,
      openid: tokens.openid,
    })
    expect(info.body.nickname).toBe('微信用户小明')
  })

  it('issues a new access token once the old one expired', async () => {
    const tokens = await tokensFor('normal', 'snsapi_base')
    emulator.advanceClock(2 * HOUR_MS)

    const answer = await refresh(tokens.refresh_token)

    expect(answer.body.access_token).toMatch(TOKEN)
    expect(answer.body.access_token).not.toBe(tokens.access_token)
    expect(answer.body).toMatchObject({ refresh_token: tokens.refresh_token, scope: 'snsapi_base' })
    const fresh = await sns(emulator, '/sns/auth', {
      access_token: String(answer.body.access_token),
      openid: tokens.openid,
    })
    const old = await sns(emulator, '/sns/auth', {
      access_token: tokens.access_token,
      openid: tokens.openid,
    })
    expect(fresh.body).toEqual({ errcode: 0, errmsg: 'ok' })
    expect(errorSeen(old)).toEqual(wechatError(42001, 'access_token expired'))
  })

  it('never extends the refresh token: it dies 30 days after the code exchange', async () => {
    const tokens = await tokensFor('normal')
    emulator.advanceClock(29 * DAY_MS)
    expect((await refresh(tokens.refresh_token)).body.openid).toBe(openidOf('normal'))

    emulator.advanceClock(DAY_MS)

    expect(errorSeen(await refresh(tokens.refresh_token))).toEqual(
      wechatError(42002, 'refresh_token expired'),
    )
  })

  it.each([
    ['no refresh_token', { refresh_token: '' }, 41003, 'refresh_token missing'],
    [
      'no refresh_token and no appid',
      { refresh_token: '', appid: '' },
      41003,
      'refresh_token missing',
    ],
    ['no appid', { appid: '' }, 41002, 'appid missing'],
    ['another grant_type', { grant_type: 'authorization_code' }, 40002, 'invalid grant_type'],
    ['an unknown appid', { appid: 'wx0000000000000000' }, 40013, 'invalid appid'],
    [
      'an unknown refresh_token',
      { refresh_token: `83_${'x'.repeat(107)}` },
      40030,
      'invalid refresh_token',
    ],
  ])('answers %s with its errcode', async (_name, overrides, errcode, errmsg) => {
    const tokens = await tokensFor('normal')

    expect(errorSeen(await refresh(tokens.refresh_token, overrides))).toEqual(
      wechatError(errcode, errmsg),
    )
  })

  it('answers 40030 to an access token passed as refresh token', async () => {
    const tokens = await tokensFor('normal')

    expect(errorSeen(await refresh(tokens.access_token))).toEqual(
      wechatError(40030, 'invalid refresh_token'),
    )
  })
})

describe('/sns/userinfo', () => {
  const userinfo = (params: Record<string, string>) => sns(emulator, '/sns/userinfo', params)

  it('answers the profile with sex 0, empty location and the unionid', async () => {
    const tokens = await tokensFor('normal')

    const answer = await userinfo({
      access_token: tokens.access_token,
      openid: tokens.openid,
      lang: 'zh_CN',
    })

    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain')
    expect(answer.text).toBe(
      JSON.stringify({
        openid: openidOf('normal'),
        nickname: '微信用户小明',
        sex: 0,
        province: '',
        city: '',
        country: '',
        headimgurl: testUser('normal').headimgurl,
        privilege: [],
        unionid: testUser('normal').unionid,
      }),
    )
    expect(answer.body.headimgurl).toMatch(
      /^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/vi_32\/[A-Za-z0-9]+\/132$/,
    )
  })

  it.each(TEST_USERS.filter((user) => !user.snapshot))('answers $id as it is', async (user) => {
    const tokens = await tokensFor(user.id)

    const answer = await userinfo({ access_token: tokens.access_token, openid: tokens.openid })

    expect(answer.body.nickname).toBe(user.nickname)
    expect(answer.body.headimgurl).toBe(user.headimgurl)
    expect(answer.body.unionid).toBe(user.unionid ?? undefined)
  })

  it('keeps the emoji nickname intact, ZWJ sequences and skin tones included', async () => {
    const tokens = await tokensFor('emoji')

    const answer = await userinfo({ access_token: tokens.access_token, openid: tokens.openid })

    expect(answer.body.nickname).toBe('🌸✨小仙女的日常生活记录🍰🎀～👩‍👩‍👧‍👦👍🏻')
    expect([...String(answer.body.nickname)].length).toBeGreaterThanOrEqual(20)
    expect(answer.text).toContain('👩\u200d👩\u200d👧\u200d👦👍🏻')
  })

  it('answers the same for every lang, and for an unknown one', async () => {
    const tokens = await tokensFor('normal')
    const base = { access_token: tokens.access_token, openid: tokens.openid }

    const bodies = await Promise.all(
      ['zh_CN', 'zh_TW', 'en', 'fr'].map(async (lang) => (await userinfo({ ...base, lang })).body),
    )

    for (const body of bodies) expect(body).toEqual(bodies[0])
  })

  it('refuses a snsapi_base token with 48001', async () => {
    const tokens = await tokensFor('normal', 'snsapi_base')

    expect(
      errorSeen(await userinfo({ access_token: tokens.access_token, openid: tokens.openid })),
    ).toEqual(wechatError(48001, 'api unauthorized'))
  })

  it("refuses the snapshot user's token with 48001", async () => {
    const tokens = await tokensFor('snapshot')

    expect(
      errorSeen(await userinfo({ access_token: tokens.access_token, openid: tokens.openid })),
    ).toEqual(wechatError(48001, 'api unauthorized'))
  })

  it('answers 42001 once the access token is 2 hours old', async () => {
    const tokens = await tokensFor('normal')
    emulator.advanceClock(2 * HOUR_MS)

    expect(
      errorSeen(await userinfo({ access_token: tokens.access_token, openid: tokens.openid })),
    ).toEqual(wechatError(42001, 'access_token expired'))
  })

  it.each([
    ['no access_token', { access_token: '' }, 41001, 'access_token missing'],
    [
      'no access_token and no openid',
      { access_token: '', openid: '' },
      41001,
      'access_token missing',
    ],
    ['no openid', { openid: '' }, 41009, 'missing openid'],
    [
      'an unknown access_token',
      { access_token: `83_${'x'.repeat(107)}` },
      40014,
      'invalid access_token',
    ],
    ['the openid of another user', { openid: 'o' + 'x'.repeat(27) }, 40003, 'invalid openid'],
  ])('answers %s with its errcode', async (_name, overrides, errcode, errmsg) => {
    const tokens = await tokensFor('normal')

    const answer = await userinfo({
      access_token: tokens.access_token,
      openid: tokens.openid,
      ...overrides,
    })

    expect(errorSeen(answer)).toEqual(wechatError(errcode, errmsg))
  })
})

describe('/sns/auth', () => {
  const auth = (params: Record<string, string>) => sns(emulator, '/sns/auth', params)

  it('answers errcode 0 for a valid token of any scope', async () => {
    for (const scope of ['snsapi_base', 'snsapi_userinfo'] as const) {
      const tokens = await tokensFor('normal', scope)
      const answer = await auth({ access_token: tokens.access_token, openid: tokens.openid })
      expect(answer.status).toBe(200)
      expect(answer.contentType).toBe('text/plain')
      expect(answer.text).toBe('{"errcode":0,"errmsg":"ok"}')
    }
  })

  it('answers 42001 once the access token expired', async () => {
    const tokens = await tokensFor('normal')
    emulator.advanceClock(2 * HOUR_MS)

    expect(
      errorSeen(await auth({ access_token: tokens.access_token, openid: tokens.openid })),
    ).toEqual(wechatError(42001, 'access_token expired'))
  })

  it.each([
    ['no access_token', { access_token: '' }, 41001, 'access_token missing'],
    ['no openid', { openid: '' }, 41009, 'missing openid'],
    ['an unknown access_token', { access_token: 'nope' }, 40014, 'invalid access_token'],
    ['the openid of another user', { openid: 'o' + 'x'.repeat(27) }, 40003, 'invalid openid'],
  ])('answers %s with its errcode', async (_name, overrides, errcode, errmsg) => {
    const tokens = await tokensFor('normal')

    expect(
      errorSeen(
        await auth({ access_token: tokens.access_token, openid: tokens.openid, ...overrides }),
      ),
    ).toEqual(wechatError(errcode, errmsg))
  })
})

describe('other paths', () => {
  it('answers 40066 to an unknown /sns path', async () => {
    expect(errorSeen(await sns(emulator, '/sns/oauth2/nothing', {}))).toEqual(
      wechatError(40066, 'invalid url'),
    )
  })

  it('answers 40066 to an unknown /cgi-bin path', async () => {
    expect(errorSeen(await sns(emulator, '/cgi-bin/menu/nothing', {}))).toEqual(
      wechatError(40066, 'invalid url'),
    )
  })

  it('answers 404 outside /sns and /cgi-bin', async () => {
    const response = await fetch(`${emulator.url}/mp/token`)

    expect(response.status).toBe(404)
    expect(await response.text()).toBe('Not Found')
  })

  it('answers 400 to malformed percent-encoding and 405 to other methods', async () => {
    const malformed = await fetch(`${emulator.url}/sns/userinfo?access_token=%E0%A4%A&openid=o`)
    const put = await fetch(`${emulator.url}/sns/userinfo`, { method: 'PUT' })

    expect(malformed.status).toBe(400)
    expect(put.status).toBe(405)
    expect(emulator.log()).toEqual([])
  })

  it('answers 413 to a POST body over 16 KiB', async () => {
    const response = await fetch(`${emulator.url}/sns/auth`, {
      method: 'POST',
      body: 'x'.repeat(17 * 1024),
    })

    expect(response.status).toBe(413)
  })

  it('logs each call with the secret hidden', async () => {
    await exchange(emulator, 'nope')
    emulator.advanceClock(1234)
    await sns(emulator, '/sns/auth', { access_token: 'a', openid: 'b' })

    expect(emulator.log()).toEqual([
      {
        at: T0,
        endpoint: 'access_token',
        query: {
          appid: emulator.appId,
          secret: '***',
          code: 'nope',
          grant_type: 'authorization_code',
        },
        errcode: 40029,
      },
      {
        at: T0 + 1234,
        endpoint: 'auth',
        query: { access_token: 'a', openid: 'b' },
        errcode: 40014,
      },
    ])
  })
})
