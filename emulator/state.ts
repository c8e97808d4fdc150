import { Account } from './account'
import type { Scope } from './authorize'
import { remember, STORE_LIMIT } from './bounded'
import { newCode, newToken, openidFor } from './ids'
import { JssdkRecords } from './jsbridge'
import { avatarUrl, DEFAULT_USER_ID, testUser, type TestUser, type TestUserId } from './users'

/**
 * How long WeChat remembers a `snsapi_userinfo` consent ("about 30 days").
 *
 * @see ../shared/wechat-behaviour.md §7
 */
export const CONSENT_TTL_MS = 30 * 86_400_000

/** The settings a test may change while the emulator runs. */
export interface RuntimeConfig {
  /** Refuse authorize links opened outside WeChat, as WeChat does. */
  requireWechatUa: boolean
  /** Offer the dev-only 「继续（仅限开发环境）」 button on the "open in WeChat" page. */
  allowDesktop: boolean
  codeTtlMs: number
  /** The web-authorization domain redirect_uri must use. */
  domain: string
  /** What an expired code gets: which one WeChat sends is unverified. */
  expiredCodeErrcode: 40029 | 42003
  /**
   * The account's API IP whitelist: callers of the token endpoints from other addresses get
   * 40164. `null` checks nothing.
   */
  ipWhitelist: readonly string[] | null
  /** The AppSecret is frozen in the admin: the token endpoints answer 40243. */
  frozenSecret: boolean
  /** `/cgi-bin/token` calls a day before 45009: 2,000, or 200 on a 测试号. */
  tokenDailyQuota: number
  /** The JS接口安全域名 `wx.config` is accepted on; absent: the web-authorization `domain`. */
  jsDomains?: readonly string[]
  /**
   * A `snsapi_base` code exchange carries the unionid of a user whose `snsapi_userinfo`
   * consent is remembered. Documented for userinfo only; seen in practice (unverified).
   */
  baseUnionid: boolean
  /** The account is a 测试号: users who do not follow it get error page 10006. */
  testAccount: boolean
}

/** The settings fixed for the emulator's lifetime. */
export interface FixedConfig {
  readonly appId: string
  readonly appSecret: string
  readonly appName: string
  readonly accessTokenTtlS: number
  readonly refreshTokenTtlS: number
}

export type FaultEndpoint =
  | 'access_token'
  | 'refresh_token'
  | 'userinfo'
  | 'auth'
  | 'authorize'
  | 'stable_token'
  | 'token'
  | 'getticket'

export type LoggedEndpoint = FaultEndpoint | 'confirm'

/** Every endpoint in the order `GET /__emulator/counts` lists them. */
export const LOGGED_ENDPOINTS: readonly LoggedEndpoint[] = [
  'authorize',
  'confirm',
  'access_token',
  'refresh_token',
  'userinfo',
  'auth',
  'stable_token',
  'token',
  'getticket',
]

/** Calls so far to each endpoint, errors and faults included. */
export type CallCounts = Record<LoggedEndpoint, number>

/** Endpoints whose `access_token` is the account's global token, which the log hides. */
const GLOBAL_TOKEN_ENDPOINTS: readonly LoggedEndpoint[] = ['getticket']

function noCalls(): CallCounts {
  return Object.fromEntries(LOGGED_ENDPOINTS.map((endpoint) => [endpoint, 0])) as CallCounts
}

/** A failure to inject into the next calls to one endpoint. */
export interface Fault {
  readonly endpoint: FaultEndpoint
  /** Answer with this WeChat error (on the authorize page: the numbered error page). */
  readonly errcode?: number
  /** The errmsg for `errcode`, instead of WeChat's. */
  readonly errmsg?: string
  /** Wait this long before answering; alone, it delays a normal answer. */
  readonly delayMs?: number
  /** Answer with this HTTP status. */
  readonly status?: number
  /** Answer with this raw body, e.g. broken JSON. */
  readonly body?: string
  /** How many calls get the fault. */
  readonly times: number
}

export interface LogEntry {
  /** The emulator's clock when the call arrived. */
  readonly at: number
  readonly endpoint: LoggedEndpoint
  /**
   * The call's parameters (for `stable_token`, its JSON body's fields), with `secret` and a
   * global `access_token` replaced by `***`.
   */
  readonly query: Readonly<Record<string, string>>
  /** The errcode the call was answered with, if any. */
  errcode?: number
  /** The unnumbered authorize-page error the call was answered with, if any. */
  error?: string
  /** Set when an injected fault answered the call. */
  fault?: true
}

interface CodeGrant {
  readonly appId: string
  readonly userId: TestUserId
  readonly scope: Scope
  readonly expiresAt: number
  used: boolean
}

interface AccessGrant {
  readonly appId: string
  readonly userId: TestUserId
  readonly scope: Scope
  expiresAt: number
}

interface RefreshGrant {
  readonly appId: string
  readonly userId: TestUserId
  readonly scope: Scope
  readonly expiresAt: number
  accessToken: string
}

/** More pending faults than this is a test bug, not a scenario. */
export const MAX_PENDING_FAULTS = 1000

/** A token pair as the token endpoints hand it out. */
export interface Grant {
  readonly accessToken: string
  readonly refreshToken: string
  readonly user: TestUser
  readonly openid: string
  readonly scope: Scope
}

/** What a code exchange found, in the order WeChat checks it. */
export type CodeRedemption =
  | { readonly ok: true; readonly grant: Grant }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' | 'used' }

export type RefreshResult =
  | { readonly ok: true; readonly grant: Grant }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' }

export type TokenLookup =
  | { readonly ok: true; readonly user: TestUser; readonly openid: string; readonly scope: Scope }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' }

/**
 * Everything the emulator remembers between calls: issued codes and tokens, the account's
 * global tokens and ticket, the clock, injected faults, the call log and counts, and the
 * settings tests changed.
 */
export class EmulatorState {
  config: RuntimeConfig
  nextUser: TestUserId | null = null
  account: Account
  /** The JS-SDK bridge's verifications and share cards. */
  jssdk = new JssdkRecords()
  private clockOffsetMs = 0
  private counts = noCalls()
  private codes = new Map<string, CodeGrant>()
  private accessTokens = new Map<string, AccessGrant>()
  private refreshTokens = new Map<string, RefreshGrant>()
  private faults: Fault[] = []
  private entries: LogEntry[] = []
  /** When each user last allowed `snsapi_userinfo`. */
  private consents = new Map<TestUserId, number>()
  private avatarVersions = new Map<TestUserId, number>()
  /** The paths of avatars users changed away from: WeChat's links to them die. */
  private retiredAvatars = new Set<string>()

  constructor(
    readonly fixed: FixedConfig,
    private readonly initialConfig: Readonly<RuntimeConfig>,
    private readonly clock: () => number,
  ) {
    this.config = { ...initialConfig }
    this.account = new Account(() => this.now())
    this.jssdk = new JssdkRecords()
  }

  /** The hosts `wx.config` is accepted on. */
  jsDomains(): readonly string[] {
    return this.config.jsDomains ?? [this.config.domain]
  }

  /** The time every lifetime is measured against. */
  now(): number {
    return this.clock() + this.clockOffsetMs
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms
  }

  reset(): void {
    this.config = { ...this.initialConfig }
    this.nextUser = null
    this.clockOffsetMs = 0
    this.codes.clear()
    this.accessTokens.clear()
    this.refreshTokens.clear()
    this.faults = []
    this.entries = []
    this.counts = noCalls()
    this.consents.clear()
    this.avatarVersions.clear()
    this.retiredAvatars.clear()
    this.account = new Account(() => this.now())
    this.jssdk = new JssdkRecords()
  }

  /** The user the next authorization is for. */
  chosenUser(): TestUserId {
    return this.nextUser ?? DEFAULT_USER_ID
  }

  /** A test user as WeChat sees them now: with their current avatar. */
  user(userId: TestUserId): TestUser {
    const user = testUser(userId)
    const version = this.avatarVersions.get(userId) ?? 0
    if (version === 0) return user
    return { ...user, headimgurl: avatarUrl(userId, version) }
  }

  /** The user picks a new avatar: a new URL, and the old one stops loading. */
  changeAvatar(userId: TestUserId): { previous: string; headimgurl: string } {
    const previous = this.user(userId).headimgurl
    if (previous !== '') this.retiredAvatars.add(new URL(previous).pathname)
    this.avatarVersions.set(userId, (this.avatarVersions.get(userId) ?? 0) + 1)
    return { previous, headimgurl: this.user(userId).headimgurl }
  }

  /** Whether an avatar path belongs to a picture its user replaced. */
  avatarRetired(path: string): boolean {
    return this.retiredAvatars.has(path)
  }

  /** Remembers that the user allowed `snsapi_userinfo` now. */
  consent(userId: TestUserId): void {
    this.consents.set(userId, this.now())
  }

  /** When the user's remembered consent runs out, or `null` when there is none. */
  consentUntil(userId: TestUserId): number | null {
    const at = this.consents.get(userId)
    if (at === undefined || this.now() >= at + CONSENT_TTL_MS) return null
    return at + CONSENT_TTL_MS
  }

  /** The users withdraw their consent (授权管理 in WeChat's settings); answers how many did. */
  forgetConsents(): number {
    const forgotten = [...this.consents.keys()].filter((id) => this.hasConsent(id)).length
    this.consents.clear()
    return forgotten
  }

  hasConsent(userId: TestUserId): boolean {
    return this.consentUntil(userId) !== null
  }

  openid(userId: TestUserId): string {
    return openidFor(this.fixed.appId, userId)
  }

  issueCode(userId: TestUserId, scope: Scope): string {
    const code = newCode()
    const expiresAt = this.now() + this.config.codeTtlMs
    remember(this.codes, code, { appId: this.fixed.appId, userId, scope, expiresAt, used: false })
    return code
  }

  /** Marks a code used without granting anything: a failed exchange still burns the code. */
  burnCode(code: string): void {
    const grant = this.codes.get(code)
    if (grant) grant.used = true
  }

  redeemCode(appId: string, code: string): CodeRedemption {
    const grant = this.codes.get(code)
    if (!grant || grant.appId !== appId) return { ok: false, reason: 'invalid' }
    if (this.now() >= grant.expiresAt) return { ok: false, reason: 'expired' }
    if (grant.used) return { ok: false, reason: 'used' }
    grant.used = true
    const accessToken = this.issueAccessToken(grant.appId, grant.userId, grant.scope)
    const refreshToken = newToken()
    remember(this.refreshTokens, refreshToken, {
      appId: grant.appId,
      userId: grant.userId,
      scope: grant.scope,
      expiresAt: this.now() + this.fixed.refreshTokenTtlS * 1000,
      accessToken,
    })
    return { ok: true, grant: this.grant(accessToken, refreshToken, grant) }
  }

  /**
   * Refreshing keeps an unexpired access token and extends its life; an expired one is
   * replaced. The refresh token itself is never extended.
   */
  refresh(appId: string, refreshToken: string): RefreshResult {
    const grant = this.refreshTokens.get(refreshToken)
    if (!grant || grant.appId !== appId) return { ok: false, reason: 'invalid' }
    if (this.now() >= grant.expiresAt) return { ok: false, reason: 'expired' }
    const access = this.accessTokens.get(grant.accessToken)
    if (access && this.now() < access.expiresAt) {
      access.expiresAt = this.now() + this.fixed.accessTokenTtlS * 1000
    } else {
      grant.accessToken = this.issueAccessToken(grant.appId, grant.userId, grant.scope)
    }
    return { ok: true, grant: this.grant(grant.accessToken, refreshToken, grant) }
  }

  lookupAccessToken(accessToken: string): TokenLookup {
    const grant = this.accessTokens.get(accessToken)
    if (!grant) return { ok: false, reason: 'invalid' }
    if (this.now() >= grant.expiresAt) return { ok: false, reason: 'expired' }
    return {
      ok: true,
      user: this.user(grant.userId),
      openid: openidFor(grant.appId, grant.userId),
      scope: grant.scope,
    }
  }

  /** Queues a fault; `false` when too many are pending already. */
  addFault(fault: Fault): boolean {
    if (this.faults.length >= MAX_PENDING_FAULTS) return false
    this.faults.push(fault)
    return true
  }

  clearFaults(): void {
    this.faults = []
  }

  pendingFaults(): readonly Fault[] {
    return this.faults
  }

  /** The fault for this call, if one is pending; faults for an endpoint apply in order. */
  takeFault(endpoint: FaultEndpoint): Fault | null {
    const index = this.faults.findIndex((fault) => fault.endpoint === endpoint)
    const fault = this.faults[index]
    if (!fault) return null
    if (fault.times > 1) this.faults[index] = { ...fault, times: fault.times - 1 }
    else this.faults.splice(index, 1)
    return fault
  }

  /** Records a call; the returned entry is completed once the answer is known. */
  record(endpoint: LoggedEndpoint, query: Record<string, string>): LogEntry {
    const redacted = { ...query }
    if ('secret' in redacted) redacted.secret = '***'
    if ('access_token' in redacted && GLOBAL_TOKEN_ENDPOINTS.includes(endpoint)) {
      redacted.access_token = '***'
    }
    const entry: LogEntry = { at: this.now(), endpoint, query: redacted }
    this.entries.push(entry)
    if (this.entries.length > STORE_LIMIT) this.entries.shift()
    this.counts[endpoint]++
    return entry
  }

  log(): LogEntry[] {
    return this.entries.map((entry) => ({ ...entry }))
  }

  /** Unlike the log, counts are never cut short. */
  callCounts(): CallCounts {
    return { ...this.counts }
  }

  private issueAccessToken(appId: string, userId: TestUserId, scope: Scope): string {
    const token = newToken()
    const expiresAt = this.now() + this.fixed.accessTokenTtlS * 1000
    remember(this.accessTokens, token, { appId, userId, scope, expiresAt })
    return token
  }

  private grant(
    accessToken: string,
    refreshToken: string,
    grant: { appId: string; userId: TestUserId; scope: Scope },
  ): Grant {
    return {
      accessToken,
      refreshToken,
      user: this.user(grant.userId),
      openid: openidFor(grant.appId, grant.userId),
      scope: grant.scope,
    }
  }
}
