import { beforeEach, describe, expect, it } from 'vitest'
import {
  allowNonWechatOnce,
  canAuthorize,
  detectClient,
  isNonWechatAllowed,
  type WechatClient,
} from '../client'

// The examples in wechat-behaviour.md §5, verbatim.
const IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'
const ANDROID =
  'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20230805 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 NetType/WIFI Language/zh_CN'
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13) UnifiedPCWindowsWechat(0xf2541022) XWEB/16467 Flue'
const MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) MacWechat/3.3(0x13030013) NetType/WIFI WindowsWechat'
const WECOM =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/7.0.1 wxwork/4.1.6 ColorScheme/Light'

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36'
const MINI_PROGRAM_IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN miniProgram/wx0123456789abcdef'
const MINI_PROGRAM_ANDROID = `${ANDROID} ABI/arm64 miniProgram`
const IPAD =
  'Mozilla/5.0 (iPad; CPU OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'
const UNKNOWN_WECHAT = 'Mozilla/5.0 (X11; Linux x86_64) MicroMessenger/8.0.40 NetType/WIFI'

describe('detectClient', () => {
  it.each<[string, string, WechatClient]>([
    ['iOS WeChat', IOS, 'wechat-ios'],
    ['iPad WeChat', IPAD, 'wechat-ios'],
    ['Android WeChat', ANDROID, 'wechat-android'],
    ['Windows WeChat', WINDOWS, 'wechat-windows'],
    ['Mac WeChat, whose UA also says WindowsWechat', MAC, 'wechat-mac'],
    ['WeCom, whose UA also says MicroMessenger', WECOM, 'wecom'],
    ['an iOS mini-program web-view', MINI_PROGRAM_IOS, 'miniprogram'],
    ['an Android mini-program web-view', MINI_PROGRAM_ANDROID, 'miniprogram'],
    ['desktop Chrome', CHROME, 'browser'],
    ['an empty UA', '', 'browser'],
    ['WeChat on an unrecognised platform', UNKNOWN_WECHAT, 'wechat-other'],
  ])('%s is %s', (_name, userAgent, client) => {
    expect(detectClient(userAgent)).toBe(client)
  })

  it('trusts window.__wxjs_environment when the mini-program UA does not say so', () => {
    expect(detectClient(IOS, 'miniprogram')).toBe('miniprogram')
    expect(detectClient(IOS, 'browser')).toBe('wechat-ios')
  })
})

describe('canAuthorize', () => {
  it.each<[WechatClient, boolean]>([
    ['wechat-ios', true],
    ['wechat-android', true],
    ['wechat-windows', true],
    ['wechat-mac', true],
    ['wechat-other', true],
    ['wecom', false],
    ['miniprogram', false],
    ['browser', false],
  ])('%s → %s', (client, expected) => {
    expect(canAuthorize(client)).toBe(expected)
  })
})

describe('allowNonWechatOnce', () => {
  beforeEach(() => sessionStorage.clear())

  it('lets a browser through once it is set, and not before', () => {
    expect(isNonWechatAllowed(sessionStorage)).toBe(false)
    allowNonWechatOnce(sessionStorage)
    expect(sessionStorage.getItem('wx-login:allow-browser')).toBe('1')
    expect(isNonWechatAllowed(sessionStorage)).toBe(true)
  })
})
