import type { EmulatorState, Grant, TokenLookup } from './state'
import { apiError, type ApiErrcode } from './wechat'

/** The `/sns` endpoints the emulator answers, by path. */
export const SNS_ENDPOINTS = {
  '/sns/oauth2/access_token': 'access_token',
  '/sns/oauth2/refresh_token': 'refresh_token',
  '/sns/userinfo': 'userinfo',
  '/sns/auth': 'auth',
} as const

export type SnsEndpoint = (typeof SNS_ENDPOINTS)[keyof typeof SNS_ENDPOINTS]

/** A JSON answer of the API, with the errcode it carries (0 counts as none). */
export interface ApiAnswer {
  readonly body: object
  readonly errcode?: number
}

export type Query = Readonly<Record<string, string>>

/** WeChat's error body for an errcode, with its own errmsg unless one is given. */
export function fail(errcode: ApiErrcode, errmsg?: string): ApiAnswer {
  return { body: apiError(errcode, errmsg), errcode }
}

/** A parameter, with an empty value counted as missing. */
export function param(query: Query, name: string): string | null {
  const value = query[name]
  return value === undefined || value === '' ? null : value
}

function tokenBody(grant: Grant, expiresIn: number): object {
  return {
    access_token: grant.accessToken,
    expires_in: expiresIn,
    refresh_token: grant.refreshToken,
    openid: grant.openid,
    scope: grant.scope,
  }
}

/**
 * WeChat documents unionid for `snsapi_userinfo`; for `snsapi_base` the `baseUnionid` switch
 * decides, for a user whose consent is remembered.
 *
 * @see ../shared/wechat-behaviour.md §7
 */
function unionidGiven(state: EmulatorState, grant: Grant): boolean {
  if (grant.scope === 'snsapi_userinfo') return true
  return state.config.baseUnionid && state.hasConsent(grant.user.id)
}

/**
 * `/sns/oauth2/access_token`: exchanges a code, once, for tokens and the openid.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#1
 */
export function exchangeCode(state: EmulatorState, query: Query): ApiAnswer {
  const code = param(query, 'code')
  const appId = param(query, 'appid')
  const secret = param(query, 'secret')
  if (code === null) return fail(41008)
  if (appId === null) return fail(41002)
  if (secret === null) return fail(41004)
  if (query.grant_type !== 'authorization_code') return fail(40002)
  if (appId !== state.fixed.appId) return fail(40013)
  if (secret !== state.fixed.appSecret) return fail(40125)

  const redemption = state.redeemCode(appId, code)
  if (!redemption.ok) {
    if (redemption.reason === 'used') return fail(40163)
    if (redemption.reason === 'expired') return fail(state.config.expiredCodeErrcode)
    return fail(40029)
  }
  const { grant } = redemption
  return {
    body: {
      ...tokenBody(grant, state.fixed.accessTokenTtlS),
      // Snapshot mode punishes snsapi_userinfo asked on opening; no source shows it for
      // snsapi_base (wechat-behaviour.md §7), so a silent request gets no virtual identity.
      ...(grant.user.snapshot && grant.scope === 'snsapi_userinfo' ? { is_snapshotuser: 1 } : {}),
      ...(grant.user.unionid !== null && unionidGiven(state, grant)
        ? { unionid: grant.user.unionid }
        : {}),
    },
  }
}

/**
 * `/sns/oauth2/refresh_token`: a fresh lease on the access token, answered with the fields
 * WeChat documents for it (no unionid, no is_snapshotuser).
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#2
 */
export function refreshToken(state: EmulatorState, query: Query): ApiAnswer {
  const token = param(query, 'refresh_token')
  const appId = param(query, 'appid')
  if (token === null) return fail(41003)
  if (appId === null) return fail(41002)
  if (query.grant_type !== 'refresh_token') return fail(40002)
  if (appId !== state.fixed.appId) return fail(40013)

  const result = state.refresh(appId, token)
  if (!result.ok) return fail(result.reason === 'expired' ? 42002 : 40030)
  return { body: tokenBody(result.grant, state.fixed.accessTokenTtlS) }
}

/**
 * The checks /sns/userinfo and /sns/auth share, in WeChat's order: both parameters
 * present, the token known and unexpired, and issued for that openid.
 */
function tokenFor(
  state: EmulatorState,
  query: Query,
): { errcode: ApiErrcode } | { found: Extract<TokenLookup, { ok: true }>; openid: string } {
  const token = param(query, 'access_token')
  const openid = param(query, 'openid')
  if (token === null) return { errcode: 41001 }
  if (openid === null) return { errcode: 41009 }
  const found = state.lookupAccessToken(token)
  if (!found.ok) return { errcode: found.reason === 'expired' ? 42001 : 40014 }
  if (found.openid !== openid) return { errcode: 40003 }
  return { found, openid }
}

/**
 * `/sns/userinfo`: the profile behind a `snsapi_userinfo` token. Since 2021-10-20 sex is 0
 * and the location fields are empty. `lang` changes nothing then, so an invalid one is
 * treated as zh_CN (what WeChat does with it is unverified).
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#3
 */
export function userinfo(state: EmulatorState, query: Query): ApiAnswer {
  const checked = tokenFor(state, query)
  if ('errcode' in checked) return fail(checked.errcode)
  const { found, openid } = checked
  if (found.scope !== 'snsapi_userinfo' || found.user.snapshot) return fail(48001)
  const { user } = found
  return {
    body: {
      openid,
      nickname: user.nickname,
      sex: 0,
      province: '',
      city: '',
      country: '',
      headimgurl: user.headimgurl,
      privilege: [],
      ...(user.unionid !== null ? { unionid: user.unionid } : {}),
    },
  }
}

/**
 * `/sns/auth`: whether an access token is still valid for an openid.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#4
 */
export function checkToken(state: EmulatorState, query: Query): ApiAnswer {
  const checked = tokenFor(state, query)
  if ('errcode' in checked) return fail(checked.errcode)
  return { body: { errcode: 0, errmsg: 'ok' } }
}

/** The handler of each `/sns` endpoint. */
export const SNS_HANDLERS: Record<SnsEndpoint, (state: EmulatorState, query: Query) => ApiAnswer> =
  {
    access_token: exchangeCode,
    refresh_token: refreshToken,
    userinfo,
    auth: checkToken,
  }

/** Any other path under `/sns` or `/cgi-bin`: unverified, WeChat's "invalid url" errcode. */
export function unknownApiPath(): ApiAnswer {
  return fail(40066)
}
