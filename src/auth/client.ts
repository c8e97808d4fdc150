/** Which app is showing the page; only some of them can complete 网页授权. */
export type WechatClient =
  | 'wecom'
  | 'miniprogram'
  | 'wechat-mac'
  | 'wechat-windows'
  | 'wechat-android'
  | 'wechat-ios'
  | 'wechat-other'
  | 'browser'

/**
 * Tells the client apart by its User-Agent. WeCom and the mini-program web-view also say
 * MicroMessenger, and the Mac client also says WindowsWechat, so the order matters.
 * `wxjsEnvironment` is `window.__wxjs_environment`, which a mini-program web-view sets even
 * when its UA lacks `miniProgram`.
 * @see wechat-behaviour.md §5
 */
export function detectClient(userAgent: string, wxjsEnvironment?: string): WechatClient {
  if (/wxwork\//i.test(userAgent)) return 'wecom'
  if (/miniProgram/i.test(userAgent) || wxjsEnvironment === 'miniprogram') return 'miniprogram'
  if (!/MicroMessenger\//i.test(userAgent)) return 'browser'
  if (/MacWechat/i.test(userAgent)) return 'wechat-mac'
  if (/WindowsWechat/i.test(userAgent)) return 'wechat-windows'
  if (/Android/i.test(userAgent)) return 'wechat-android'
  if (/iPhone|iPad/i.test(userAgent)) return 'wechat-ios'
  return 'wechat-other'
}

// A record rather than a list, so a new client cannot be added without deciding this.
const authorizes: Record<WechatClient, boolean> = {
  'wechat-ios': true,
  'wechat-android': true,
  'wechat-windows': true,
  'wechat-mac': true,
  'wechat-other': true,
  // WeChat answers 请在微信客户端打开链接 to any other browser, WeCom included.
  wecom: false,
  browser: false,
  // The web-view may not leave for open.weixin.qq.com.
  miniprogram: false,
}

/**
 * Whether sending this client to WeChat's authorize page can succeed. PC and Mac WeChat's
 * built-in browsers support 网页授权; WeCom, the mini-program web-view and other browsers do not.
 * @see wechat-behaviour.md §5
 */
export function canAuthorize(client: WechatClient): boolean {
  return authorizes[client]
}

/** The client showing this page. */
export function currentClient(): WechatClient {
  return detectClient(
    navigator.userAgent,
    (window as { __wxjs_environment?: string }).__wxjs_environment,
  )
}

const ALLOW_BROWSER_KEY = 'wx-login:allow-browser'

/**
 * Lets an ordinary browser go on to the (emulated) authorize page for the rest of this tab's
 * session: developers test against the local emulator from a desktop browser.
 */
export function allowNonWechatOnce(storage: Storage): void {
  storage.setItem(ALLOW_BROWSER_KEY, '1')
}

export function isNonWechatAllowed(storage: Storage): boolean {
  return storage.getItem(ALLOW_BROWSER_KEY) === '1'
}
