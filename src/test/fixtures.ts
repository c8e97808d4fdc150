import type { SessionUser } from '@contract'

export const USER: SessionUser = {
  openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc',
  unionid: 'o6_bmasdasdsad6_2sgVt7hMZOPfL',
  scope: 'snsapi_userinfo',
  nickname: '🌸✨小仙女',
  headimgurl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/0',
  avatar:
    '/api/avatar/aHR0cHM6Ly90aGlyZHd4LnFsb2dvLmNuL21tb3Blbi92aV8zMi9hYmMvMTMy.c2lnbmF0dXJlLWhlcmU',
  sex: 0,
  province: '',
  city: '',
  country: '',
  privilege: [],
}

/** The build-time WeChat settings tests run with (`vi.mock('@/config')`): the emulator's. */
export const TEST_APP_CONFIG = {
  appId: 'wxd0e1a2b3c4f5e6d7',
  authorizeUrl: 'http://127.0.0.1:8899/connect/oauth2/authorize',
  scope: 'snsapi_userinfo',
  forcePopup: false,
} as const

/** A pending login's verifier, as `createVerifier` makes them. */
export const VERIFIER = 'V'.repeat(43)

/** WeChat 8.0.40 on iOS: a client that can authorize. */
export const WECHAT_IOS_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'

/** A computer's browser: WeChat refuses it, so it signs in through the phone. */
export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36'
