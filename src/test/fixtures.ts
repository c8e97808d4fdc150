import type { SessionUser } from '@/contract'

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
