import { describe, expect, it } from 'vitest'
import { safeAvatarUrl, toSessionUser } from './login.ts'
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
