import { createHash, randomInt } from 'node:crypto'
import type { JssdkConfigRequest, JssdkConfigResponse } from '../../contract/index.ts'
import { jsapiTicket } from './account-token.ts'
import { loadConfig, loadJsDomains } from './config.ts'
import { defineHandler } from './handlers.ts'
import { ApiError, json, readJsonObject } from './http.ts'

/** Bound on a page URL to sign: a page's address, `code` and `state` included, is far shorter. */
export const MAX_URL_LENGTH = 2048

const bad = (message: string) => new ApiError('bad_request', message)

/**
 * The URL to sign: `url` as given, without its `#fragment`, never rebuilt or re-encoded, since
 * WeChat compares it with the page's own (on iOS, the URL the user landed on, `code` and
 * `state` included). Only pages of this site are signed: the request's own origin, and the
 * hosts of WECHAT_JS_DOMAINS.
 * @see wechat-behaviour.md §8
 */
export function signableUrl(url: unknown, ownOrigin: string, jsDomains: readonly string[]): string {
  if (typeof url !== 'string') throw bad('url must be a string')
  if (url.length > MAX_URL_LENGTH) throw bad(`url must be at most ${MAX_URL_LENGTH} characters`)
  // A browser's location.href is printable ASCII: anything else is no page's address.
  if (!/^[\x21-\x7e]+$/.test(url)) throw bad('url must be printable ascii without spaces')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw bad('url is not a valid url')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw bad('url must be an http or https url')
  }
  // As location.href spells it: no user info, default port, capitals or backslashes, which a
  // parser would fold into another host than the one WeChat reads.
  if (!url.startsWith(`${parsed.origin}/`)) throw bad('url must start with its origin and a /')
  if (parsed.origin !== ownOrigin && !jsDomains.includes(parsed.host)) {
    throw bad('url is not a page of this site')
  }
  return url.split('#', 1)[0]!
}

/**
 * The JS-SDK signature: the lower-case hex SHA-1 of the four fields in this order, unescaped.
 * @see wechat-behaviour.md §8
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
 */
export function jssdkSignature(fields: {
  ticket: string
  nonceStr: string
  timestamp: number
  url: string
}): string {
  const { ticket, nonceStr, timestamp, url } = fields
  return createHash('sha1')
    .update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
    .digest('hex')
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fresh nonce for each signature: 32 random letters and digits. */
export function newNonce(): string {
  return Array.from({ length: 32 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('')
}

/** Reads and checks `POST /api/wechat/jssdk-config`'s body. */
export async function readJssdkConfigRequest(request: Request): Promise<JssdkConfigRequest> {
  const { url } = await readJsonObject(request)
  if (typeof url !== 'string') throw bad('url must be a string')
  return { url }
}

/**
 * `POST /api/wechat/jssdk-config`: `{ url }` → the signed fields of `wx.config` for that page.
 * The ticket is the site's (account-token.ts); a signature is made fresh for every request.
 */
export const handleJssdkConfig = defineHandler(['POST'], async (request, frame) => {
  const { url } = await readJssdkConfigRequest(request)
  const get = frame.env.env
  const page = signableUrl(url, frame.url.origin, loadJsDomains(get))
  const config = loadConfig(get)
  const ticket = await jsapiTicket({
    config,
    stores: frame.stores,
    fetch: frame.env.fetch,
    now: frame.env.now,
    requestId: frame.env.requestId,
  })
  const nonceStr = newNonce()
  const body: JssdkConfigResponse = {
    appId: config.appId,
    timestamp: frame.nowS,
    nonceStr,
    signature: jssdkSignature({ ticket, nonceStr, timestamp: frame.nowS, url: page }),
  }
  return json(body)
})
