/**
 * The API contract between the SPA and the Netlify Functions: the only types both sides
 * import. Everything here is safe to pass to the browser; tokens and secrets never are.
 */

/** WeChat's own authorize page; anything else is the local emulator. */
export const OFFICIAL_AUTHORIZE_URL = 'https://open.weixin.qq.com/connect/oauth2/authorize'

export type WechatScope = 'snsapi_base' | 'snsapi_userinfo'
export type WechatLang = 'zh_CN' | 'zh_TW' | 'en'

/** 0 unknown, 1 male, 2 female; WeChat answers 0 for everyone since 2021-10-20. */
export type WechatSex = 0 | 1 | 2

/** The signed-in user as the browser sees it: a WeChat profile and nothing more. */
export interface SessionUser {
  openid: string
  /** Present only when the account is bound to an Open Platform account. */
  unionid?: string
  scope: WechatScope
  /** Empty for snsapi_base sign-ins, which may not read the profile. */
  nickname: string
  /** An https avatar URL, or '' when the user has none. */
  headimgurl: string
  sex: WechatSex
  province: string
  city: string
  country: string
  privilege: string[]
}

/** `POST /api/auth/wechat` */
export interface LoginRequest {
  code: string
  state: string
  /**
   * The secret this browser kept (localStorage) when it sent the user to WeChat: `state` is
   * `stateForVerifier(verifier)`. A code that leaked with its state cannot be redeemed
   * without it, as PKCE binds a code to the client that asked.
   */
  verifier: string
  /** The UI's language, for the names WeChat localizes; the server's WECHAT_LANG otherwise. */
  lang?: WechatLang
}

export const WECHAT_LANGS: readonly WechatLang[] = ['zh_CN', 'zh_TW', 'en']

/** `POST /api/auth/wechat` and `GET /api/session` on success. */
export interface UserResponse {
  user: SessionUser
}

/**
 * `POST /api/wechat/jssdk-config`: the page's URL as the browser has it (`location.href`), which
 * is signed verbatim without its `#fragment`.
 */
export interface JssdkConfigRequest {
  url: string
}

/**
 * The signed fields of `wx.config`, named as it takes them. Holds no ticket or token.
 * @see wechat-behaviour.md §8
 */
export interface JssdkConfigResponse {
  appId: string
  /** Whole seconds since the epoch. */
  timestamp: number
  nonceStr: string
  /** Lower-case hex SHA-1. */
  signature: string
}

/**
 * Every error the API answers, each with one HTTP status. Only `not_found` is a 404, answered
 * for `/api/*` paths no endpoint declares (netlify.toml rewrites them to api-not-found). No
 * endpoint answers 403 or 404: `netlify dev` and `netlify serve` replay such an answer from a
 * function on its own path on `<path>.html` (and similar), and a replayed login POST would
 * spend its code again. The rewritten not-found answer is not replayed, and spends nothing.
 */
export const API_ERROR_STATUS = {
  bad_request: 400,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_signed_in: 401,
  /** The login request did not prove it came from the browser that asked (see `verifier`). */
  state_invalid: 400,
  /** No such API path or method. */
  not_found: 404,
  /** WeChat no longer honours the stored grant (40030, 42002): authorize again. */
  reauth_required: 401,
  invalid_code: 400,
  code_used: 409,
  snapshot_user: 422,
  scope_unauthorized: 422,
  wechat_busy: 503,
  wechat_rate_limited: 503,
  wechat_unavailable: 502,
  wechat_rejected: 502,
  misconfigured: 500,
  internal: 500,
} as const satisfies Record<string, number>

export type ApiErrorCode = keyof typeof API_ERROR_STATUS

/** Failures the SPA itself detects, before or instead of an API call. */
export type ClientErrorCode = 'access_denied' | 'network_error' | 'not_configured'

export type LoginErrorCode = ApiErrorCode | ClientErrorCode

/** The one shape of every error body the API answers. */
export interface ErrorBody {
  error: {
    code: ApiErrorCode
    message: string
  }
}

/** Bounds on the login request, checked by the function and relied on by the SPA. */
export const CODE_PATTERN = /^[0-9A-Za-z]{1,128}$/
export const STATE_PATTERN = /^[0-9A-Za-z]{1,128}$/
export const VERIFIER_PATTERN = /^[0-9A-Za-z]{43,128}$/

/**
 * The `state` sent to WeChat for a verifier: the hex SHA-256 of it (64 characters, within
 * WeChat's 128 letters and digits). Both the SPA and the functions compute it with WebCrypto.
 */
export async function stateForVerifier(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
}
