import { newRid } from './ids'

/** The `errcode`s the emulated API (`/sns`, `/cgi-bin`) answers, with WeChat's `errmsg` texts. */
const API_ERRMSG = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  // Unverified: what api.weixin.qq.com answers for an unknown path under /sns or /cgi-bin.
  40066: 'invalid url',
  // Unverified: getticket's answer to a type it does not know.
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40163: 'code been used',
  // The token endpoints name the caller's address: see ipNotWhitelisted.
  40164: 'invalid ip, not in whitelist',
  // Unverified text; the code is documented.
  40243: 'appsecret is frozen',
  41001: 'access_token missing',
  41002: 'appid missing',
  41003: 'refresh_token missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  // The texts of 41009, 42002 and 42003 are unverified.
  41009: 'missing openid',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  42003: 'code expired',
  43002: 'require POST method',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit, must slower, retry next minute',
  47001: 'data format error',
  48001: 'api unauthorized',
  50001: 'user unauthorized',
} as const

export type ApiErrcode = keyof typeof API_ERRMSG

export interface ApiError {
  readonly errcode: number
  readonly errmsg: string
}

/**
 * A WeChat API error body: the errmsg text (WeChat's own unless one is given) followed by a
 * fresh request id, as in `{"errcode":40029,"errmsg":"invalid code, rid: 6114eeb9-…"}`.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
 */
export function apiError(errcode: number, errmsg?: string): ApiError {
  const text = errmsg ?? (API_ERRMSG as Record<number, string>)[errcode] ?? 'system error'
  return { errcode, errmsg: `${text}, rid: ${newRid()}` }
}

/** The numbered errors of the authorize page, with the texts WeChat shows. */
const PAGE_ERROR_TEXT = {
  10003: 'redirect_uri域名与后台配置不一致',
  10004: '此公众号被封禁',
  10005: '此公众号并没有这些scope的权限',
  10006: '必须关注此测试号',
  10009: '操作太频繁了，请稍后重试',
  10010: 'scope不能为空',
  10011: 'redirect_uri不能为空',
  10012: 'appid不能为空',
  10013: 'state不能为空',
  10015: '公众号未授权第三方平台，请检查授权状态',
  10016: '不支持微信开放平台的Appid，请使用公众号Appid',
} as const

export type PageErrcode = keyof typeof PAGE_ERROR_TEXT

/** The authorize-page errors WeChat shows without a number. */
export type PageErrorSlug =
  | 'param-order'
  | 'unknown-appid'
  | 'response-type'
  | 'invalid-state'
  | 'not-wechat'
  | 'missing-hash'
  | 'bad-request'

/**
 * Visible texts of the unnumbered errors. Only 'param-order' and 'not-wechat' are WeChat's
 * known texts; the others are unverified choices in the same terse style.
 */
const SLUG_TEXT: Record<PageErrorSlug, string> = {
  'param-order': 'Scope 参数错误或没有 Scope 权限',
  'unknown-appid': 'appid参数错误',
  'response-type': 'response_type参数错误',
  'invalid-state': 'state参数错误',
  'not-wechat': '请在微信客户端打开链接',
  'missing-hash': '链接缺少 #wechat_redirect',
  'bad-request': '请求参数格式错误',
}

/** An error the authorize page shows: `code` goes into `data-errcode`, `text` is visible. */
export interface PageError {
  readonly code: number | PageErrorSlug
  readonly text: string
}

/**
 * The authorize page's error for a number, shown as "TEXT，错误码：N".
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function numberedPageError(errcode: number, text?: string): PageError {
  // An injected errcode outside the table still needs some text; this one is WeChat's
  // generic busy message.
  const known = (PAGE_ERROR_TEXT as Record<number, string>)[errcode]
  return { code: errcode, text: `${text ?? known ?? '系统繁忙，请稍后再试'}，错误码：${errcode}` }
}

/**
 * The authorize page's error for an unnumbered case.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function pageError(slug: PageErrorSlug): PageError {
  return { code: slug, text: SLUG_TEXT[slug] }
}
