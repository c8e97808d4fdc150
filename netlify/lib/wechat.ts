import type { WechatLang, WechatScope, WechatSex } from '../../contract/index.ts'

/**
 * The WeChat web-authorization API as named steps over an injectable fetch.
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */

export interface WechatClientOptions {
  apiBase: string
  appId: string
  appSecret: string
  timeoutMs: number
  /** Epoch ms by which every call must be over; bounds a sequence of calls as a whole. */
  deadline?: number
  /** The platform's `fetch` when absent, read at each call so tests can stub it. */
  fetch?: typeof fetch
}

/** Answer of `/sns/oauth2/access_token` and `/sns/oauth2/refresh_token`, every field kept. */
export interface WebAccessToken {
  access_token: string
  expires_in: number
  refresh_token: string
  openid: string
  scope: WechatScope
  unionid?: string
  /** True when the user is the virtual identity of a Moments snapshot page. */
  is_snapshotuser: boolean
}

/** Answer of `/sns/userinfo`. */
export interface WechatUserInfo {
  openid: string
  nickname: string
  sex: WechatSex
  province: string
  city: string
  country: string
  headimgurl: string
  privilege: string[]
  unionid?: string
}

export type WechatEndpoint =
  'access_token' | 'refresh_token' | 'userinfo' | 'auth' | 'stable_token' | 'getticket'

/**
 * - `errcode`: WeChat answered with an errcode (see `errcode` and `errmsg`);
 * - `http_status`: a non-200 status, which WeChat itself never sends;
 * - `bad_body`: a body that is not the JSON object the step expects;
 * - `timeout`: no answer within the bound;
 * - `network`: the connection failed;
 * - `openid_mismatch`: the answer is about another user than the one asked for.
 */
export type WechatErrorKind =
  'errcode' | 'http_status' | 'bad_body' | 'timeout' | 'network' | 'openid_mismatch'

export class WechatError extends Error {
  readonly kind: WechatErrorKind
  readonly endpoint: WechatEndpoint
  readonly errcode?: number
  /** WeChat's errmsg, cleaned (see `cleanErrmsg`). */
  readonly errmsg?: string
  readonly status?: number

  constructor(
    kind: WechatErrorKind,
    endpoint: WechatEndpoint,
    message: string,
    details: { errcode?: number; errmsg?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause })
    this.name = 'WechatError'
    this.kind = kind
    this.endpoint = endpoint
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.status = details.status
  }
}

const PATHS: Record<WechatEndpoint, string> = {
  access_token: '/sns/oauth2/access_token',
  refresh_token: '/sns/oauth2/refresh_token',
  userinfo: '/sns/userinfo',
  auth: '/sns/auth',
  stable_token: '/cgi-bin/stable_token',
  getticket: '/cgi-bin/ticket/getticket',
}

type Json = Record<string, unknown>

/** Where WeChat's own words end: request ids, hints, links. */
const ERRMSG_TAIL = /\b(?:hints?|rid|req_id|view more)\b/i
/** One of WeChat's words (`access_token`, `minute-quota`): no digit, never as long as a code. */
const PLAIN_WORD = /^[A-Za-z][A-Za-z_'-]{0,23}[,.;:!?]?$/
/** Bound on the errmsg kept for the log. */
export const ERRMSG_MAX = 80

/**
 * WeChat's errmsg as fit for a log: the plain words it starts with, up to the first that is
 * not one, at most `ERRMSG_MAX` characters. An errmsg can echo what was sent (a code, a
 * token, an address), which must not reach the log.
 */
export function cleanErrmsg(raw: string): string {
  const kept: string[] = []
  let length = 0
  for (const word of (raw.split(ERRMSG_TAIL, 1)[0] ?? '').split(/\s+/)) {
    if (word === '') continue
    if (!PLAIN_WORD.test(word) || length + word.length + 1 > ERRMSG_MAX) break
    kept.push(word)
    length += word.length + 1
  }
  return kept.join(' ').replace(/[,.;:!?]+$/, '')
}

/** URL of one API call; exported so tests and logs agree on exactly what is sent. */
export function apiUrl(apiBase: string, endpoint: WechatEndpoint, params: Record<string, string>) {
  const query = new URLSearchParams(params).toString()
  return `${apiBase}${PATHS[endpoint]}${query ? `?${query}` : ''}`
}

/** A GET with `params`, or a POST of `body` as JSON. */
async function call(
  options: WechatClientOptions,
  endpoint: WechatEndpoint,
  params: Record<string, string>,
  body?: Json,
): Promise<Json> {
  const doFetch = options.fetch ?? globalThis.fetch
  const timeoutMs = Math.min(options.timeoutMs, (options.deadline ?? Infinity) - Date.now())
  if (timeoutMs <= 0) {
    throw new WechatError('timeout', endpoint, `no time left for ${endpoint}`)
  }
  let response: Response
  let text: string
  // One signal bounds both the headers and the body, so a trickling body cannot hang us.
  // Never resent, even on a stale kept-alive connection: the code exchange is a GET that
  // spends the code, so a second try could only answer 40163 (wechat-behaviour.md §3).
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException('timed out', 'TimeoutError')),
    timeoutMs,
  )
  try {
    response = await doFetch(apiUrl(options.apiBase, endpoint, params), {
      signal: controller.signal,
      ...(body && {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
    })
    text = await response.text()
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError'
    throw new WechatError(
      timedOut ? 'timeout' : 'network',
      endpoint,
      timedOut
        ? `no answer from ${endpoint} within ${options.timeoutMs} ms`
        : `${endpoint} unreachable`,
      { cause },
    )
  } finally {
    clearTimeout(timer)
  }
  if (response.status !== 200) {
    throw new WechatError('http_status', endpoint, `${endpoint} answered http ${response.status}`, {
      status: response.status,
    })
  }
  let answer: unknown
  try {
    // WeChat sends JSON as text/plain, so the content type is not checked.
    answer = JSON.parse(text)
  } catch (cause) {
    throw new WechatError('bad_body', endpoint, `${endpoint} answered a body that is not json`, {
      cause,
    })
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw new WechatError('bad_body', endpoint, `${endpoint} answered json that is not an object`)
  }
  const json = answer as Json
  // Success bodies carry no errcode, except /sns/auth's and getticket's {"errcode":0}.
  if (json.errcode !== undefined && json.errcode !== 0) {
    const errcode = typeof json.errcode === 'number' ? json.errcode : Number(json.errcode)
    const errmsg = typeof json.errmsg === 'string' ? cleanErrmsg(json.errmsg) : ''
    const said = errmsg ? `: ${errmsg}` : ''
    throw new WechatError('errcode', endpoint, `${endpoint} errcode ${errcode}${said}`, {
      errcode,
      errmsg,
    })
  }
  return json
}

function str(endpoint: WechatEndpoint, json: Json, key: string): string {
  const value = json[key]
  if (typeof value !== 'string') {
    throw new WechatError('bad_body', endpoint, `${endpoint} answer lacks string ${key}`)
  }
  return value
}

function optionalStr(json: Json, key: string): string | undefined {
  const value = json[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

function toToken(endpoint: WechatEndpoint, json: Json): WebAccessToken {
  const scope = str(endpoint, json, 'scope')
  // A token may carry several comma-separated scopes; userinfo is the wider grant.
  const granted: WechatScope = scope.split(',').includes('snsapi_userinfo')
    ? 'snsapi_userinfo'
    : 'snsapi_base'
  return {
    access_token: str(endpoint, json, 'access_token'),
    expires_in: typeof json.expires_in === 'number' ? json.expires_in : 7200,
    refresh_token: str(endpoint, json, 'refresh_token'),
    openid: str(endpoint, json, 'openid'),
    scope: granted,
    unionid: optionalStr(json, 'unionid'),
    is_snapshotuser: json.is_snapshotuser === 1,
  }
}

/**
 * Step 4: trades an authorization code for a web access_token. A code is single-use,
 * even when this call fails with -1.
 * @see wechat-behaviour.md §3, §4
 */
export async function exchangeCode(
  options: WechatClientOptions,
  code: string,
): Promise<WebAccessToken> {
  const json = await call(options, 'access_token', {
    appid: options.appId,
    secret: options.appSecret,
    code,
    grant_type: 'authorization_code',
  })
  return toToken('access_token', json)
}

/**
 * Renews an access_token with the 30-day refresh_token; needs no secret.
 * @see wechat-behaviour.md §4
 */
export async function refreshAccessToken(
  options: WechatClientOptions,
  refreshToken: string,
): Promise<WebAccessToken> {
  const json = await call(options, 'refresh_token', {
    appid: options.appId,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  })
  return toToken('refresh_token', json)
}

/**
 * Step 5: reads the profile; needs a snsapi_userinfo token. A profile of another openid than
 * the token's is refused, so no one is ever signed in as someone else.
 * @see wechat-behaviour.md §4
 */
export async function fetchUserInfo(
  options: WechatClientOptions,
  token: Pick<WebAccessToken, 'access_token' | 'openid'>,
  lang: WechatLang,
): Promise<WechatUserInfo> {
  const json = await call(options, 'userinfo', {
    access_token: token.access_token,
    openid: token.openid,
    lang,
  })
  const sex = json.sex === 1 || json.sex === 2 ? json.sex : 0
  const privilege = Array.isArray(json.privilege)
    ? json.privilege.filter((p): p is string => typeof p === 'string')
    : []
  const openid = str('userinfo', json, 'openid')
  if (openid !== token.openid) {
    throw new WechatError('openid_mismatch', 'userinfo', 'userinfo answered another openid')
  }
  return {
    openid,
    nickname: typeof json.nickname === 'string' ? json.nickname : '',
    sex,
    province: typeof json.province === 'string' ? json.province : '',
    city: typeof json.city === 'string' ? json.city : '',
    country: typeof json.country === 'string' ? json.country : '',
    headimgurl: typeof json.headimgurl === 'string' ? json.headimgurl : '',
    privilege,
    unionid: optionalStr(json, 'unionid'),
  }
}

/**
 * Asks whether an access_token is still valid for this openid.
 * @see wechat-behaviour.md §4
 */
export async function checkAccessToken(
  options: WechatClientOptions,
  token: Pick<WebAccessToken, 'access_token' | 'openid'>,
): Promise<void> {
  await call(options, 'auth', { access_token: token.access_token, openid: token.openid })
}

/** The account's global access_token (not a user's): `/cgi-bin/stable_token`'s answer. */
export interface AccountToken {
  access_token: string
  /** Seconds left: the stable token's remaining life, not always 7200. */
  expires_in: number
}

/** A JS-SDK ticket: `/cgi-bin/ticket/getticket`'s answer. */
export interface JsapiTicket {
  ticket: string
  /** Says 7200 even for a ticket issued earlier (wechat-behaviour.md §8). */
  expires_in: number
}

function lifetime(endpoint: WechatEndpoint, json: Json): number {
  const seconds = json.expires_in
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new WechatError('bad_body', endpoint, `${endpoint} answer lacks a positive expires_in`)
  }
  return seconds
}

/**
 * The account's global access_token from `/cgi-bin/stable_token`. In normal mode it is the
 * same token for every caller while it lives, so instances never kill each other's, as
 * `/cgi-bin/token` does. `forceRefresh` kills the current token: WeChat allows it 20 times a
 * day, 30 s apart.
 * @see wechat-behaviour.md §8
 * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
 */
export async function fetchStableToken(
  options: WechatClientOptions,
  forceRefresh = false,
): Promise<AccountToken> {
  const json = await call(
    options,
    'stable_token',
    {},
    {
      grant_type: 'client_credential',
      appid: options.appId,
      secret: options.appSecret,
      force_refresh: forceRefresh,
    },
  )
  return {
    access_token: str('stable_token', json, 'access_token'),
    expires_in: lifetime('stable_token', json),
  }
}

/**
 * The JS-SDK's jsapi_ticket, fetched with the account's access_token.
 * @see wechat-behaviour.md §8
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62
 */
export async function fetchJsapiTicket(
  options: WechatClientOptions,
  accessToken: string,
): Promise<JsapiTicket> {
  const json = await call(options, 'getticket', { access_token: accessToken, type: 'jsapi' })
  return { ticket: str('getticket', json, 'ticket'), expires_in: lifetime('getticket', json) }
}
