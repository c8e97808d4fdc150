import { remember } from './bounded'
import { newTicket, newToken } from './ids'

/** Which endpoint issued a global token: the two families never touch each other. */
export type TokenSource = 'token' | 'stable_token'

/** Global tokens and jsapi_tickets both live 2 hours. */
export const GLOBAL_TOKEN_TTL_MS = 7_200_000
export const TICKET_TTL_MS = 7_200_000
/** How long a replaced token keeps working, and how early a stable token is renewed. */
export const OVERLAP_MS = 300_000
export const FORCE_REFRESH_GAP_MS = 30_000
export const FORCE_REFRESHES_A_DAY = 20
export const STABLE_CALLS_A_MINUTE = 10_000
export const STABLE_CALLS_A_DAY = 500_000
/** WeChat's daily quotas start again at midnight in Beijing (UTC+8). */
const BEIJING_OFFSET_MS = 8 * 3_600_000

const minuteOf = (at: number) => Math.floor(at / 60_000)
const dayOf = (at: number) => Math.floor((at + BEIJING_OFFSET_MS) / 86_400_000)

/** Calls counted in the current window (a minute, a day), starting again in the next one. */
class Quota {
  private window = Number.NaN
  private used = 0

  constructor(private readonly windowOf: (at: number) => number) {}

  fits(at: number, limit: number): boolean {
    return (this.windowOf(at) === this.window ? this.used : 0) < limit
  }

  count(at: number): void {
    const window = this.windowOf(at)
    if (window !== this.window) {
      this.window = window
      this.used = 0
    }
    this.used++
  }
}

interface GlobalToken {
  readonly source: TokenSource
  expiresAt: number
  /** From then on WeChat calls it "not latest": replaced by a newer call, or forced out. */
  killedAt: number | null
}

/** A global token as the token endpoints hand it out. */
export interface IssuedToken {
  readonly accessToken: string
  /** Whole seconds left, never more than the token really has. */
  readonly expiresIn: number
}

export type TokenIssue =
  ({ readonly ok: true } & IssuedToken) | { readonly ok: false; readonly errcode: 45009 | 45011 }

/** What a call carrying a global token finds: `dead` is WeChat's "invalid or not latest". */
export type GlobalTokenCheck = 'valid' | 'unknown' | 'dead' | 'expired'

/** A jsapi_ticket and the end of its life. */
export interface Ticket {
  readonly ticket: string
  readonly type: 'jsapi'
  readonly expiresAt: number
}

/**
 * The Official Account's server-side credentials: global access tokens from
 * `/cgi-bin/token` and `/cgi-bin/stable_token`, its one jsapi_ticket, and their quotas.
 *
 * @see ../shared/wechat-behaviour.md §8
 */
export class Account {
  private tokens = new Map<string, GlobalToken>()
  private latest: Record<TokenSource, string | null> = { token: null, stable_token: null }
  private ticket: Ticket | null = null
  private tokenDay = new Quota(dayOf)
  private stableDay = new Quota(dayOf)
  private stableMinute = new Quota(minuteOf)
  private forcedDay = new Quota(dayOf)
  private lastForcedAt: number | null = null

  constructor(private readonly now: () => number) {}

  /**
   * `/cgi-bin/token`: a new token on every call; the previous one dies 5 minutes later
   * (or at its own expiry, if that comes first). Stable tokens are not touched.
   *
   * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
   */
  issueToken(dailyQuota: number): TokenIssue {
    const now = this.now()
    if (!this.tokenDay.fits(now, dailyQuota)) return { ok: false, errcode: 45009 }
    this.tokenDay.count(now)
    const previous = this.live('token')
    if (previous && previous.expiresAt > now + OVERLAP_MS) previous.killedAt = now + OVERLAP_MS
    return { ok: true, ...this.issue('token') }
  }

  /**
   * `/cgi-bin/stable_token`. Normal mode answers the current token with the time it has left;
   * in its last 5 minutes the next one is issued and both work until the old one expires.
   * `force` kills every stable token at once and issues a new one, 20 times a (Beijing) day.
   * Unverified choices: a force within 30 s of the last one answers the current token as
   * normal mode would; a 21st force answers 45009; only calls that pass the credential
   * checks reach here, so only those count against the quotas.
   *
   * @see https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
   */
  stableToken(force: boolean): TokenIssue {
    const now = this.now()
    if (!this.stableDay.fits(now, STABLE_CALLS_A_DAY)) return { ok: false, errcode: 45009 }
    if (!this.stableMinute.fits(now, STABLE_CALLS_A_MINUTE)) return { ok: false, errcode: 45011 }
    this.stableDay.count(now)
    this.stableMinute.count(now)
    const current = this.latest.stable_token
    const live = this.live('stable_token')
    if (force) {
      const tooSoon = this.lastForcedAt !== null && now - this.lastForcedAt < FORCE_REFRESH_GAP_MS
      if (live && current && tooSoon) return { ok: true, ...this.answer(current, live) }
      if (!this.forcedDay.fits(now, FORCE_REFRESHES_A_DAY)) return { ok: false, errcode: 45009 }
      this.forcedDay.count(now)
      this.lastForcedAt = now
      for (const token of this.tokens.values()) {
        if (token.source === 'stable_token' && this.isLive(token)) token.killedAt = now
      }
      return { ok: true, ...this.issue('stable_token') }
    }
    if (live && current && now < live.expiresAt - OVERLAP_MS) {
      return { ok: true, ...this.answer(current, live) }
    }
    return { ok: true, ...this.issue('stable_token') }
  }

  /** Whether a call may use this token. A web-authorization (`/sns`) token is `unknown` here. */
  checkToken(accessToken: string): GlobalTokenCheck {
    const token = this.tokens.get(accessToken)
    if (!token) return 'unknown'
    const now = this.now()
    if (token.killedAt !== null && now >= token.killedAt) return 'dead'
    if (now >= token.expiresAt) return 'expired'
    return 'valid'
  }

  /**
   * The account's jsapi_ticket: one at a time, the same one until it expires, whichever token
   * asks for it; then the next call gets a new one.
   *
   * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62
   */
  jsapiTicket(): Ticket {
    const now = this.now()
    if (!this.ticket || now >= this.ticket.expiresAt) {
      this.ticket = { ticket: newTicket(), type: 'jsapi', expiresAt: now + TICKET_TTL_MS }
    }
    return this.ticket
  }

  /** The tickets a page's signature may be made with right now: none or one. */
  validTickets(): Ticket[] {
    return this.ticket && this.now() < this.ticket.expiresAt ? [{ ...this.ticket }] : []
  }

  /** Expires every live global token now (calls then get 42001); answers how many. */
  expireTokens(): number {
    const now = this.now()
    let expired = 0
    for (const token of this.tokens.values()) {
      if (!this.isLive(token)) continue
      token.expiresAt = now
      expired++
    }
    return expired
  }

  private isLive(token: GlobalToken): boolean {
    const now = this.now()
    return now < token.expiresAt && (token.killedAt === null || now < token.killedAt)
  }

  /** The newest token of a source, if it still works. */
  private live(source: TokenSource): GlobalToken | null {
    const value = this.latest[source]
    const token = value === null ? undefined : this.tokens.get(value)
    return token && this.isLive(token) ? token : null
  }

  private issue(source: TokenSource): IssuedToken {
    const accessToken = newToken()
    const token: GlobalToken = {
      source,
      expiresAt: this.now() + GLOBAL_TOKEN_TTL_MS,
      killedAt: null,
    }
    remember(this.tokens, accessToken, token)
    this.latest[source] = accessToken
    return this.answer(accessToken, token)
  }

  private answer(accessToken: string, token: GlobalToken): IssuedToken {
    return { accessToken, expiresIn: Math.floor((token.expiresAt - this.now()) / 1000) }
  }
}
