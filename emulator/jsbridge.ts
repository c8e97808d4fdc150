import { createHash } from 'node:crypto'
import type { Ticket } from './account'

/**
 * The JS-SDK side of WeChat: what `WeixinJSBridge.invoke('preVerifyJSAPI', …)` answers, and
 * the share cards a page sets. The bridge script (`GET /__emulator/jsbridge.js`) runs in the
 * page and hands each call to the checks here, through a function the test exposes.
 *
 * @see ../shared/wechat-behaviour.md §8
 */

/** What the bridge sends for `preVerifyJSAPI`: the SDK's arguments and the URL to check. */
export interface VerifyRequest {
  readonly verifyAppId: string
  readonly verifyTimestamp: string
  readonly verifyNonceStr: string
  readonly verifySignature: string
  /** The URL the client checks: iOS the landing URL, the others the current one. */
  readonly url: string
  readonly platform: 'ios' | 'android'
}

/** The bridge's answer, as the SDK reads it (`errMsg` taken as it is). */
export type VerifyAnswer =
  | { readonly errMsg: 'config:ok' }
  | { readonly errMsg: 'config:invalid signature'; readonly realAuthUrl: string[] }
  | { readonly errMsg: 'config:invalid url domain' }
  | { readonly errMsg: 'config:fail'; readonly realAuthUrl?: never }

/** A `preVerifyJSAPI` call as `GET /__emulator/jssdk/verifies` lists it. */
export interface VerifyRecord {
  readonly url: string
  readonly platform: 'ios' | 'android'
  readonly appId: string
  readonly errMsg: string
  /** Set when a control switch, not the checks, chose the answer. */
  readonly forced?: true
}

export type ShareApi = 'updateAppMessageShareData' | 'updateTimelineShareData'

/** A share card as `GET /__emulator/shares` lists it. */
export interface ShareRecord {
  readonly api: ShareApi
  /** The page's `location.href` when it set the card. */
  readonly page: string
  readonly title: string
  readonly desc?: string
  readonly link: string
  readonly imgUrl: string
}

/** An answer a test forces on the next verifications, whatever the checks say. */
export interface ForcedVerify {
  readonly errMsg: 'config:invalid signature' | 'config:invalid url domain' | 'config:fail'
  times: number
}

const MAX_RECORDS = 1000

/** `sha1("jsapi_ticket=T&noncestr=N&timestamp=S&url=U")`, lower-case hex. */
export function jssdkSignature(ticket: string, nonceStr: string, timestamp: string, url: string) {
  return createHash('sha1')
    .update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
    .digest('hex')
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname
  } catch {
    return null
  }
}

/**
 * WeChat's checks: the page's host against the JS接口安全域名, then the appId and the
 * signature against each valid jsapi_ticket. The URL is checked without its fragment.
 * Unverified choice: a wrong appId answers `config:invalid signature`, as nothing signed
 * for another account can pass.
 */
export function verifyJssdk(
  request: VerifyRequest,
  account: { readonly appId: string; readonly jsDomains: readonly string[] },
  tickets: readonly Ticket[],
): VerifyAnswer {
  const url = request.url.split('#')[0] ?? request.url
  const host = hostOf(url)
  if (host === null || !account.jsDomains.includes(host)) {
    return { errMsg: 'config:invalid url domain' }
  }
  const signed =
    request.verifyAppId === account.appId &&
    tickets.some(
      ({ ticket }) =>
        jssdkSignature(ticket, request.verifyNonceStr, request.verifyTimestamp, url) ===
        request.verifySignature,
    )
  return signed
    ? { errMsg: 'config:ok' }
    : { errMsg: 'config:invalid signature', realAuthUrl: [url] }
}

/**
 * What WeChat answers a share call the bridge let through: a card whose `link` is not on a
 * JS接口安全域名 is refused. Unverified: the errMsg, which §8 does not give.
 */
export function checkShare(
  card: Pick<ShareRecord, 'api' | 'link'>,
  jsDomains: readonly string[],
): { readonly ok: boolean; readonly errMsg: string } {
  const host = hostOf(card.link)
  const ok = host !== null && jsDomains.includes(host)
  return { ok, errMsg: `${card.api}:${ok ? 'ok' : 'invalid url domain'}` }
}

/** What the bridge calls went through: verifications, share cards and forced answers. */
export class JssdkRecords {
  verifies: VerifyRecord[] = []
  shares: ShareRecord[] = []
  forced: ForcedVerify | null = null

  /** The forced answer for this call, if one is pending. */
  takeForced(url: string): VerifyAnswer | null {
    if (!this.forced) return null
    const { errMsg } = this.forced
    if (--this.forced.times <= 0) this.forced = null
    return errMsg === 'config:invalid signature' ? { errMsg, realAuthUrl: [url] } : { errMsg }
  }

  verified(record: VerifyRecord): void {
    if (this.verifies.length < MAX_RECORDS) this.verifies.push(record)
  }

  shared(record: ShareRecord): void {
    if (this.shares.length < MAX_RECORDS) this.shares.push(record)
  }
}
