import { isIPv4 } from 'node:net'
import { TICKET_TTL_MS, type TokenIssue } from './account'
import { fail, param, type ApiAnswer, type Query } from './api'
import type { EmulatorState } from './state'
import type { ApiErrcode } from './wechat'

/** The `/cgi-bin` endpoints the emulator answers, by path. */
export const CGI_ENDPOINTS = {
  '/cgi-bin/token': 'token',
  '/cgi-bin/stable_token': 'stable_token',
  '/cgi-bin/ticket/getticket': 'getticket',
} as const

export type CgiEndpoint = (typeof CGI_ENDPOINTS)[keyof typeof CGI_ENDPOINTS]

/** A call as a `/cgi-bin` handler sees it. */
export interface CgiCall {
  readonly method: string
  readonly query: Query
  /** The request body; `''` for a GET. */
  readonly body: string
  /** The caller's address as the socket saw it. */
  readonly ip: string
}

type Fields = Readonly<Record<string, unknown>>

/** A JSON object body, or `null` for anything else. */
function jsonFields(body: string): Fields | null {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Fields)
      : null
  } catch {
    return null
  }
}

/**
 * What the log records of a call: stable_token's body fields, the query of the others (and
 * of a stable_token call without a JSON body, such as a GET).
 */
export function loggedParams(endpoint: CgiEndpoint, call: CgiCall): Record<string, string> {
  const fields = endpoint === 'stable_token' ? jsonFields(call.body) : null
  if (!fields) return { ...call.query }
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  )
}

/**
 * WeChat names the caller both ways, `invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in
 * whitelist`; a caller on IPv6 proper is named by that address twice (unverified).
 */
function callerAddresses(ip: string): { v4: string | null; v6: string } {
  const mapped = ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip
  return isIPv4(mapped) ? { v4: mapped, v6: `::ffff:${mapped}` } : { v4: null, v6: ip }
}

function notWhitelisted(state: EmulatorState, ip: string): ApiAnswer | null {
  const list = state.config.ipWhitelist
  if (list === null) return null
  const { v4, v6 } = callerAddresses(ip)
  if ((v4 !== null && list.includes(v4)) || list.includes(v6)) return null
  return fail(40164, `invalid ip ${v4 ?? v6} ipv6 ${v6}, not in whitelist`)
}

/**
 * The checks both token endpoints make once the parameters are there, in this order
 * (WeChat's order between the whitelist and the secret is unverified): the appid, the
 * secret, a frozen secret, the caller's address.
 */
function checkCredentials(
  state: EmulatorState,
  appId: string,
  secret: string,
  wrongSecret: ApiErrcode,
  ip: string,
): ApiAnswer | null {
  if (appId !== state.fixed.appId) return fail(40013)
  if (secret !== state.fixed.appSecret) return fail(wrongSecret)
  if (state.config.frozenSecret) return fail(40243)
  return notWhitelisted(state, ip)
}

function tokenAnswer(issue: TokenIssue): ApiAnswer {
  if (!issue.ok) return fail(issue.errcode)
  return { body: { access_token: issue.accessToken, expires_in: issue.expiresIn } }
}

/**
 * `GET /cgi-bin/token`: a new global token on every call, the previous one dying 5 minutes
 * later, within a daily quota. A wrong secret gets 40001, as this endpoint documents it
 * ("AppSecret错误"); stable_token documents 40125 instead.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
 */
export function getToken(state: EmulatorState, call: CgiCall): ApiAnswer {
  const appId = param(call.query, 'appid')
  const secret = param(call.query, 'secret')
  if (appId === null) return fail(41002)
  if (secret === null) return fail(41004)
  if (call.query.grant_type !== 'client_credential') return fail(40002)
  const refused = checkCredentials(state, appId, secret, 40001, call.ip)
  if (refused) return refused
  return tokenAnswer(state.account.issueToken(state.config.tokenDailyQuota))
}

/**
 * `POST /cgi-bin/stable_token` with a JSON body: the same token while it is valid, with the
 * time it has left. A GET gets 43002; a body that is not a JSON object, or fields of the
 * wrong type, 47001 (unverified for the types).
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
 */
export function getStableToken(state: EmulatorState, call: CgiCall): ApiAnswer {
  if (call.method !== 'POST') return fail(43002)
  const fields = jsonFields(call.body)
  if (!fields) return fail(47001)
  const { grant_type: grantType, appid, secret, force_refresh: force } = fields
  const strings = [grantType, appid, secret].every((v) => v === undefined || typeof v === 'string')
  if (!strings || (force !== undefined && typeof force !== 'boolean')) return fail(47001)
  if (!appid) return fail(41002)
  if (!secret) return fail(41004)
  if (grantType !== 'client_credential') return fail(40002)
  const refused = checkCredentials(state, appid as string, secret as string, 40125, call.ip)
  if (refused) return refused
  return tokenAnswer(state.account.stableToken(force === true))
}

/**
 * `GET /cgi-bin/ticket/getticket?type=jsapi`: the account's jsapi_ticket, the same one until
 * it expires, always saying 7200 s as WeChat does. Any global token of either endpoint
 * works; an unknown or replaced one gets 40001, an expired one 42001. Unverified: the token is
 * checked before `type`, and a type other than `jsapi` (`wx_card` included, not emulated)
 * gets 40097.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62
 */
export function getTicket(state: EmulatorState, call: CgiCall): ApiAnswer {
  const token = param(call.query, 'access_token')
  if (token === null) return fail(41001)
  const check = state.account.checkToken(token)
  if (check === 'expired') return fail(42001)
  if (check !== 'valid') return fail(40001)
  if (call.query.type !== 'jsapi') return fail(40097)
  const { ticket } = state.account.jsapiTicket()
  return { body: { errcode: 0, errmsg: 'ok', ticket, expires_in: TICKET_TTL_MS / 1000 } }
}

/** The handler of each `/cgi-bin` endpoint. */
export const CGI_HANDLERS: Record<CgiEndpoint, (state: EmulatorState, call: CgiCall) => ApiAnswer> =
  {
    token: getToken,
    stable_token: getStableToken,
    getticket: getTicket,
  }
