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
  /** WeChat's https avatar URL, or '' when the user has none. It dies when they change it. */
  headimgurl: string
  /**
   * This site's copy of the avatar, `/api/avatar/{key}` (the key cannot be guessed or forged):
   * what the page shows. Absent when the user has no avatar.
   */
  avatar?: string
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
  /**
   * The code comes from a silent `snsapi_base` authorization the app started without asking
   * the person (wechat-behaviour.md §7): an openid the site knows, with a stored profile, is
   * signed in with that profile; any other answers 422 `profile_required` and signs no one
   * in. Without it a `snsapi_base` code signs in with the openid alone (WECHAT_SCOPE=snsapi_base).
   */
  silent?: boolean
}

export const WECHAT_LANGS: readonly WechatLang[] = ['zh_CN', 'zh_TW', 'en']

/** `POST /api/auth/wechat` and `GET /api/session` on success. */
export interface UserResponse {
  user: SessionUser
  /** `computer` for a session made by scanning with the phone (see QR_LOGIN_TTL_S). */
  device?: SessionDevice
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
 * for `/api/*` paths no endpoint declares (netlify.toml rewrites them to api-not-found), for a
 * QR login poll without its browser's cookie, an unknown QR action, and an unknown computer
 * (answers that spend nothing when replayed). No other endpoint answers 403 or 404: `netlify dev` and `netlify serve` replay such an answer from a
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
  /** No such API path or method; a QR login request polled without its browser's cookie. */
  not_found: 404,
  /** The QR login request expired, was used, cancelled, or never existed. */
  qr_expired: 410,
  /** The QR login request was scanned by someone else, or already decided. */
  qr_taken: 409,
  /** WeChat no longer honours the stored grant (40030, 42002): authorize again. */
  reauth_required: 401,
  invalid_code: 400,
  code_used: 409,
  snapshot_user: 422,
  /** A silent sign-in found no one the site knows: the profile needs the person's consent. */
  profile_required: 422,
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

/**
 * Signing a computer in through the phone (wechat-behaviour.md §9). The computer asks for a
 * request and shows its `url` as a QR code; the phone opens it in WeChat, signs in there,
 * and confirms; the computer, polling with the cookie that binds the request to it, then
 * receives its own session.
 */

/** A request lives this long: WeChat's own website login uses about 2 minutes. */
export const QR_LOGIN_TTL_S = 120

/** Sessions made this way end sooner than a phone's, however active. */
export const COMPUTER_SESSION_MAX_AGE_S = 7 * 24 * 3600

/** Where a QR code's page lives: this site's `/qr/{id}`. */
export const QR_LOGIN_PATH_PREFIX = '/qr/'

/** A request id: 128 random bits, base64url. */
export const QR_LOGIN_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/

/** `POST /api/qr-login` → 201, with an HttpOnly cookie binding the request to this browser. */
export interface QrLoginCreated {
  id: string
  /** The page the QR code holds: this site's `/qr/{id}`. */
  url: string
  /** ISO 8601. */
  expiresAt: string
  /** Seconds left when answered: the countdown's source, so a wrong computer clock is harmless. */
  expiresIn: number
}

export type QrLoginStatus = 'waiting' | 'scanned' | 'confirmed' | 'cancelled' | 'expired'

/**
 * `GET /api/qr-login/{id}` with the binding cookie. The one answer that collects a confirmed
 * sign-in carries `user` (and the session cookie); after it the request is used up and
 * answers `expired`. Without the cookie, or with another browser's: 404 `not_found`.
 */
export interface QrLoginPoll {
  status: QrLoginStatus
  user?: SessionUser
}

/** What the phone is told about the computer that asks. */
export interface QrLoginRequester {
  /** e.g. "Chrome 131", "Safari 17", or "" when the User-Agent says nothing we know. */
  browser: string
  /** e.g. "Windows", "macOS", "Linux", or "". */
  os: string
  /** The computer's network address as the site saw it. */
  ip: string
  /** ISO 8601. */
  requestedAt: string
}

/**
 * `POST /api/qr-login/{id}/scan` (the phone, signed in) → 200. A request that is expired,
 * used, cancelled or unknown answers 410 `qr_expired`; one another person scanned, 409
 * `qr_taken`.
 */
export interface QrLoginScan {
  status: QrLoginStatus
  requester: QrLoginRequester
  /** The phone's network address as the site saw it. */
  phoneIp: string
  /** Whether both addresses are the same: a relayed code usually comes from elsewhere. */
  sameNetwork: boolean
  expiresAt: string
  expiresIn: number
}

/** `POST /api/qr-login/{id}/confirm` and `/cancel` → 200. */
export interface QrLoginDecision {
  status: QrLoginStatus
}

/** A computer signed in through this user's phone, as the phone's profile lists it. */
export interface SignedInComputer {
  /** What `DELETE /api/computers/{id}` (退出该设备) takes. */
  id: string
  browser: string
  os: string
  ip: string
  /** ISO 8601. */
  signedInAt: string
  /** ISO 8601: at most COMPUTER_SESSION_MAX_AGE_S after signedInAt. */
  expiresAt: string
}

/** `GET /api/computers` → the live ones, newest first. */
export interface ComputersResponse {
  computers: SignedInComputer[]
}

/** Which kind of session a cookie holds; absent in answers means a phone's (WeChat's). */
export type SessionDevice = 'phone' | 'computer'
