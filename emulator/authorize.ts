import { numberedPageError, pageError, type PageError } from './wechat'

export type Scope = 'snsapi_base' | 'snsapi_userinfo'

/** A checked authorize request. */
export interface AuthorizeRequest {
  readonly appId: string
  /** Decoded, exactly as the app sent it: the code is appended to this string. */
  readonly redirectUri: string
  readonly scope: Scope
  /** `null` when the link had no `state` parameter at all. */
  readonly state: string | null
  /** `forcePopup=true`: show the consent sheet even when consent is remembered. */
  readonly forcePopup: boolean
}

export type AuthorizeCheck =
  | { readonly ok: true; readonly request: AuthorizeRequest }
  | { readonly ok: false; readonly error: PageError }

/** What the authorize page is checked against: the app's registration at WeChat. */
export interface AuthorizeApp {
  readonly appId: string
  readonly domain: string
}

/** WeChat matches the parameters in this order; `state` and `forcePopup` may be left out. */
const PARAMETER_ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state', 'forcePopup']

const STATE_PATTERN = /^[a-zA-Z0-9]{0,128}$/

/**
 * Splits a raw query string into decoded pairs, keeping order and duplicates, which
 * `URLSearchParams` would hide from the order check. `null` when the percent-encoding is
 * malformed.
 */
export function parseQuery(raw: string): Array<[string, string]> | null {
  const pairs: Array<[string, string]> = []
  for (const part of raw.split('&')) {
    if (part === '') continue
    const equals = part.indexOf('=')
    const key = equals === -1 ? part : part.slice(0, equals)
    const value = equals === -1 ? '' : part.slice(equals + 1)
    try {
      pairs.push([decodeComponent(key), decodeComponent(value)])
    } catch {
      return null
    }
  }
  return pairs
}

function decodeComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '))
}

/** The first value of each key, which is what the request log shows. */
export function firstValues(pairs: ReadonlyArray<[string, string]>): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [key, value] of pairs) if (!(key in values)) values[key] = value
  return values
}

function inOrder(pairs: ReadonlyArray<[string, string]>): boolean {
  // Unknown parameters such as connect_redirect=1 are skipped: WeChat adds that one itself.
  // Whether it tolerates others is unverified.
  const positions = pairs
    .map(([key]) => PARAMETER_ORDER.indexOf(key))
    .filter((position) => position !== -1)
  return positions.every((position, i) => i === 0 || position > (positions[i - 1] ?? -1))
}

function redirectHostMatches(redirectUri: string, domain: string): boolean {
  let url: URL
  try {
    url = new URL(redirectUri)
  } catch {
    return false
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:'
  return web && url.hostname === domain.toLowerCase()
}

/**
 * Checks an authorize link's query the way WeChat's authorize page does: missing parameters
 * first, then the order, the appid, the redirect_uri domain, response_type, scope and state.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function checkAuthorizeQuery(rawQuery: string, app: AuthorizeApp): AuthorizeCheck {
  const fail = (error: PageError): AuthorizeCheck => ({ ok: false, error })
  const pairs = parseQuery(rawQuery)
  if (!pairs) return fail(pageError('bad-request'))
  const query = firstValues(pairs)
  const appId = query.appid ?? ''
  const redirectUri = query.redirect_uri ?? ''
  const scope = query.scope ?? ''
  const state = query.state ?? null

  if (appId === '') return fail(numberedPageError(10012))
  if (redirectUri === '') return fail(numberedPageError(10011))
  if (scope === '') return fail(numberedPageError(10010))
  if (!inOrder(pairs)) return fail(pageError('param-order'))
  if (appId !== app.appId) return fail(pageError('unknown-appid'))
  if (!redirectHostMatches(redirectUri, app.domain)) return fail(numberedPageError(10003))
  if (query.response_type !== 'code') return fail(pageError('response-type'))
  if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') return fail(numberedPageError(10005))
  if (state !== null && !STATE_PATTERN.test(state)) return fail(pageError('invalid-state'))
  const forcePopup = query.forcePopup === 'true'
  return { ok: true, request: { appId, redirectUri, scope, state, forcePopup } }
}

/**
 * Whether a User-Agent is WeChat's in-app browser. WeCom's also says MicroMessenger, and
 * WeChat lets it through too.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function isWechatUserAgent(userAgent: string | undefined): boolean {
  return userAgent?.includes('MicroMessenger') ?? false
}

/**
 * The redirect back to the app: the parameters go into the query, before any `#fragment`,
 * joined with `&` when redirect_uri already has a query. A missing state is sent as `state=`
 * (unverified: no source shows what WeChat appends then).
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function redirectBack(request: AuthorizeRequest, code: string | null): string {
  const params = code === null ? [] : [`code=${encodeURIComponent(code)}`]
  params.push(`state=${encodeURIComponent(request.state ?? '')}`)
  const hashAt = request.redirectUri.indexOf('#')
  const base = hashAt === -1 ? request.redirectUri : request.redirectUri.slice(0, hashAt)
  const fragment = hashAt === -1 ? '' : request.redirectUri.slice(hashAt)
  const separator = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&'
  return `${base}${separator}${params.join('&')}${fragment}`
}
