import { describe, expect, it, vi } from 'vitest'
import type { ServerConfig } from './config.ts'
import { stateForVerifier } from '../../contract/index.ts'
import { requireOwnState, safeAvatarUrl, signInWithCode, toSessionUser } from './login.ts'
import type { WebAccessToken } from './wechat.ts'

describe('safeAvatarUrl', () => {
  it.each([
    [
      'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132',
      'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132',
    ],
    ['http://wx.qlogo.cn/mmopen/abc/0', 'https://wx.qlogo.cn/mmopen/abc/0'],
    ['', ''],
    ['https://evil.example/qlogo.cn/a.png', ''],
    ['https://qlogo.cn.evil.example/a', ''],
    ['javascript:alert(1)', ''],
    ['https://user:pw@wx.qlogo.cn/a', ''],
    ['https://wx.qlogo.cn:8443/a', ''],
    ['not a url', ''],
  ])('%s → %s', (raw, expected) => {
    expect(safeAvatarUrl(raw)).toBe(expected)
  })
})

describe('toSessionUser', () => {
  const token: WebAccessToken = {
    access_token: '83_secret',
    refresh_token: '83_refresh',
    expires_in: 7200,
    openid: 'oOPENID',
    scope: 'snsapi_base',
    is_snapshotuser: false,
  }

  it('never carries a token into the session user', () => {
    const user = toSessionUser(token, null)
    expect(JSON.stringify(user)).not.toContain('83_')
    expect(user).toEqual({
      openid: 'oOPENID',
      scope: 'snsapi_base',
      nickname: '',
      headimgurl: '',
      sex: 0,
      province: '',
      city: '',
      country: '',
      privilege: [],
    })
  })

  it('takes unionid from userinfo when the token lacks it', () => {
    const user = toSessionUser(
      { ...token, scope: 'snsapi_userinfo' },
      {
        openid: 'oOPENID',
        nickname: 'n',
        sex: 0,
        province: '',
        city: '',
        country: '',
        headimgurl: '',
        privilege: [],
        unionid: 'oUNION',
      },
    )
    expect(user.unionid).toBe('oUNION')
  })
})

describe('signInWithCode', () => {
  const config: ServerConfig = {
    appId: 'wx1',
    appSecret: 's',
    apiBase: 'https://api.example.test',
    lang: 'zh_CN',
    secrets: { current: 'x'.repeat(32), previous: [] },
    timeoutMs: 1000,
  }
  const token = JSON.stringify({
    access_token: '83_a',
    expires_in: 7200,
    refresh_token: '83_r',
    openid: 'oOPENID',
    scope: 'snsapi_base',
  })

  it('exchanges the code once per call, even for calls at the same time: nothing is shared', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const fetchMock = vi.fn<typeof fetch>(async () => {
      await gate
      return new Response(token)
    })
    const first = signInWithCode('SAMECODE', { config, fetch: fetchMock })
    const second = signInWithCode('SAMECODE', { config, fetch: fetchMock })
    release()
    const [a, b] = await Promise.all([first, second])
    expect(fetchMock).toHaveBeenCalledTimes(2)
    expect(a).not.toBe(b)
  })

  it('refuses a snapshot-page user after the exchange, without reading userinfo', async () => {
    const fetchMock = vi.fn<typeof fetch>(
      async () =>
        new Response(
          JSON.stringify({ ...JSON.parse(token), scope: 'snsapi_userinfo', is_snapshotuser: 1 }),
        ),
    )
    await expect(signInWithCode('SNAP', { config, fetch: fetchMock })).rejects.toMatchObject({
      code: 'snapshot_user',
    })
    expect(fetchMock).toHaveBeenCalledTimes(1)
  })

  it('reads no store for a snsapi_userinfo code, silent or not: it signs in as always', async () => {
    const info = {
      openid: 'oOPENID',
      nickname: '小明',
      sex: 0,
      province: '',
      city: '',
      country: '',
    }
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).includes('/sns/userinfo')
        ? new Response(JSON.stringify({ ...info, headimgurl: '', privilege: [] }))
        : new Response(JSON.stringify({ ...JSON.parse(token), scope: 'snsapi_userinfo' })),
    )
    const stores = vi.fn(() => {
      throw new Error('no store may be read')
    })
    const { user, keepsGrant } = await signInWithCode('CODE', {
      config,
      fetch: fetchMock,
      silent: { stores },
    })
    expect([user.scope, user.nickname, keepsGrant]).toEqual(['snsapi_userinfo', '小明', true])
    expect(fetchMock).toHaveBeenCalledTimes(2)
    expect(stores).not.toHaveBeenCalled()
  })
})

describe('requireOwnState', () => {
  const verifier = 'V'.repeat(43)

  it('passes the state made from the verifier', async () => {
    const state = await stateForVerifier(verifier)
    expect(state).toMatch(/^[0-9a-f]{64}$/)
    await expect(requireOwnState({ code: 'c', state, verifier })).resolves.toBeUndefined()
  })

  it.each([
    ['made from another verifier', async () => stateForVerifier('W'.repeat(43))],
    ['in upper case', async () => (await stateForVerifier(verifier)).toUpperCase()],
    ['the verifier itself', async () => verifier],
  ])('refuses a state %s with state_invalid', async (_what, state) => {
    await expect(
      requireOwnState({ code: 'c', state: await state(), verifier }),
    ).rejects.toMatchObject({
      code: 'state_invalid',
      message: 'the state does not come from this verifier',
    })
  })
})
