import type { SessionUser } from '@contract'

export const USER: SessionUser = {
  openid: 'oLVPpjqs9BhvzwPj5A-vTYAX3GLc',
  unionid: 'o6_bmasdasdsad6_2sgVt7hMZOPfL',
  scope: 'snsapi_userinfo',
  nickname: '🌸✨小仙女',
  headimgurl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/0',
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
