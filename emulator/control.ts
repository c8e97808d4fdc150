import { isIP } from 'node:net'
import type { BodyResult } from './http'
import {
  MAX_PENDING_FAULTS,
  type EmulatorState,
  type Fault,
  type FaultEndpoint,
  type RuntimeConfig,
} from './state'
import {
  checkShare,
  verifyJssdk,
  type ForcedVerify,
  type ShareApi,
  type ShareRecord,
  type VerifyRequest,
} from './jsbridge'
import { isTestUserId, TEST_USERS, type TestUserId } from './users'

/** Longest injectable delay: enough to trip any client timeout, short enough to not hang CI. */
export const MAX_DELAY_MS = 60_000

const FAULT_ENDPOINTS: readonly FaultEndpoint[] = [
  'access_token',
  'refresh_token',
  'userinfo',
  'auth',
  'authorize',
  'stable_token',
  'token',
  'getticket',
]

const FAULT_KEYS = ['endpoint', 'errcode', 'errmsg', 'delayMs', 'status', 'body', 'times']
const CONFIG_KEYS = [
  'requireWechatUa',
  'allowDesktop',
  'codeTtlMs',
  'domain',
  'expiredCodeErrcode',
  'ipWhitelist',
  'frozenSecret',
  'tokenDailyQuota',
  'jsDomains',
  'baseUnionid',
  'testAccount',
]
const MAX_WHITELIST = 200
/** WeChat lets an account name 5 JS接口安全域名. */
const MAX_JS_DOMAINS = 5
const MAX_FIELD = 2048
const FORCEABLE = ['config:invalid signature', 'config:invalid url domain', 'config:fail'] as const
const SHARE_APIS: readonly ShareApi[] = ['updateAppMessageShareData', 'updateTimelineShareData']
const MAX_DAILY_QUOTA = 100_000_000
const MAX_TIMES = 10_000
export const TOO_MANY_FAULTS = `more than ${MAX_PENDING_FAULTS} pending faults`
const MAX_ADVANCE_MS = 10 * 365 * 86_400_000

/** A fault as tests describe it: `times` defaults to 1. */
export type FaultInput = Omit<Fault, 'times'> & { readonly times?: number }

/** What `GET /__emulator/users` lists for each test user. */
export interface UserSummary {
  readonly id: TestUserId
  readonly nickname: string
  readonly headimgurl: string
  readonly hasUnionid: boolean
  readonly snapshot: boolean
  readonly followed: boolean
  /** The user's openid for the emulator's app. */
  readonly openid: string
  readonly unionid: string | null
  /** When the remembered `snsapi_userinfo` consent runs out (emulator clock), or `null`. */
  readonly consentUntil: number | null
}

type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

const invalid = (error: string): { ok: false; error: string } => ({ ok: false, error })

function isRecord(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
}

function unknownKey(input: Record<string, unknown>, allowed: readonly string[]): string | null {
  return Object.keys(input).find((key) => !allowed.includes(key)) ?? null
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
}

/**
 * Validates a fault from the control API or from `Emulator.addFault`. Unknown keys are
 * refused so that a typo in a test fails loudly instead of injecting nothing.
 */
export function parseFault(input: unknown): Parsed<Fault> {
  if (!isRecord(input)) return invalid('the body must be a JSON object')
  const extra = unknownKey(input, FAULT_KEYS)
  if (extra !== null) return invalid(`unknown key "${extra}"`)
  const { endpoint, errcode, errmsg, delayMs, status, body, times } = input
  if (!FAULT_ENDPOINTS.includes(endpoint as FaultEndpoint)) {
    return invalid(`"endpoint" must be one of ${FAULT_ENDPOINTS.join(', ')}`)
  }
  if (errcode !== undefined && !Number.isSafeInteger(errcode)) {
    return invalid('"errcode" must be an integer')
  }
  if (errmsg !== undefined && (typeof errmsg !== 'string' || errcode === undefined)) {
    return invalid('"errmsg" must be a string and needs "errcode"')
  }
  if (delayMs !== undefined && !(typeof delayMs === 'number' && delayMs >= 0)) {
    return invalid('"delayMs" must be a number of milliseconds, 0 or more')
  }
  if (status !== undefined && !isInteger(status, 200, 599)) {
    return invalid('"status" must be an HTTP status from 200 to 599')
  }
  if (body !== undefined && typeof body !== 'string') return invalid('"body" must be a string')
  if (times !== undefined && !isInteger(times, 1, MAX_TIMES)) {
    return invalid(`"times" must be an integer from 1 to ${MAX_TIMES}`)
  }
  if (
    errcode === undefined &&
    status === undefined &&
    body === undefined &&
    delayMs === undefined
  ) {
    return invalid('a fault needs "errcode", "status", "body" or "delayMs"')
  }
  return {
    ok: true,
    value: {
      endpoint: endpoint as FaultEndpoint,
      ...(errcode !== undefined ? { errcode: errcode as number } : {}),
      ...(errmsg !== undefined ? { errmsg: errmsg as string } : {}),
      ...(delayMs !== undefined ? { delayMs: Math.min(delayMs as number, MAX_DELAY_MS) } : {}),
      ...(status !== undefined ? { status: status as number } : {}),
      ...(body !== undefined ? { body: body as string } : {}),
      times: (times as number | undefined) ?? 1,
    },
  }
}

/** Validates a partial runtime configuration. */
export function parseConfig(input: unknown): Parsed<Partial<RuntimeConfig>> {
  if (!isRecord(input)) return invalid('the body must be a JSON object')
  const extra = unknownKey(input, CONFIG_KEYS)
  if (extra !== null) return invalid(`unknown key "${extra}"`)
  const { requireWechatUa, allowDesktop, codeTtlMs, domain, expiredCodeErrcode } = input
  const { ipWhitelist, frozenSecret, tokenDailyQuota, jsDomains, baseUnionid, testAccount } = input
  if (requireWechatUa !== undefined && typeof requireWechatUa !== 'boolean') {
    return invalid('"requireWechatUa" must be a boolean')
  }
  if (allowDesktop !== undefined && typeof allowDesktop !== 'boolean') {
    return invalid('"allowDesktop" must be a boolean')
  }
  if (codeTtlMs !== undefined && !isInteger(codeTtlMs, 1, MAX_ADVANCE_MS)) {
    return invalid('"codeTtlMs" must be a positive integer')
  }
  if (
    domain !== undefined &&
    !(typeof domain === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(domain))
  ) {
    return invalid('"domain" must be a host name without scheme or port')
  }
  if (
    expiredCodeErrcode !== undefined &&
    expiredCodeErrcode !== 40029 &&
    expiredCodeErrcode !== 42003
  ) {
    return invalid('"expiredCodeErrcode" must be 40029 or 42003')
  }
  if (
    ipWhitelist !== undefined &&
    ipWhitelist !== null &&
    !(
      Array.isArray(ipWhitelist) &&
      ipWhitelist.length <= MAX_WHITELIST &&
      ipWhitelist.every((ip) => typeof ip === 'string' && isIP(ip) !== 0)
    )
  ) {
    return invalid(`"ipWhitelist" must be null or a list of at most ${MAX_WHITELIST} IP addresses`)
  }
  if (frozenSecret !== undefined && typeof frozenSecret !== 'boolean') {
    return invalid('"frozenSecret" must be a boolean')
  }
  if (tokenDailyQuota !== undefined && !isInteger(tokenDailyQuota, 0, MAX_DAILY_QUOTA)) {
    return invalid(`"tokenDailyQuota" must be an integer from 0 to ${MAX_DAILY_QUOTA}`)
  }
  if (
    jsDomains !== undefined &&
    !(
      Array.isArray(jsDomains) &&
      jsDomains.length <= MAX_JS_DOMAINS &&
      jsDomains.every((host) => typeof host === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(host))
    )
  ) {
    return invalid(`"jsDomains" must be a list of at most ${MAX_JS_DOMAINS} host names`)
  }
  if (baseUnionid !== undefined && typeof baseUnionid !== 'boolean') {
    return invalid('"baseUnionid" must be a boolean')
  }
  if (testAccount !== undefined && typeof testAccount !== 'boolean') {
    return invalid('"testAccount" must be a boolean')
  }
  return { ok: true, value: input as Partial<RuntimeConfig> }
}

/** Validates how far to move the clock. */
export function parseAdvance(ms: unknown): Parsed<number> {
  if (!(typeof ms === 'number' && ms >= 0 && ms <= MAX_ADVANCE_MS)) {
    return invalid('"advanceMs" must be a number of milliseconds, 0 or more')
  }
  return { ok: true, value: ms }
}

/** Validates a user id for the next authorization; `null` goes back to the default. */
export function parseNextUser(user: unknown): Parsed<TestUserId | null> {
  if (user !== null && !isTestUserId(user)) {
    return invalid(`"user" must be null or one of ${TEST_USERS.map(({ id }) => id).join(', ')}`)
  }
  return { ok: true, value: user }
}

const isField = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_FIELD

/** Validates what the bridge sends for `preVerifyJSAPI`. */
export function parseVerify(input: unknown): Parsed<VerifyRequest> {
  if (!isRecord(input)) return invalid('the body must be a JSON object')
  const { verifyAppId, verifyTimestamp, verifyNonceStr, verifySignature, url, platform } = input
  const fields = { verifyAppId, verifyTimestamp, verifyNonceStr, verifySignature, url }
  const bad = Object.entries(fields).find(([, value]) => !isField(value))
  if (bad) return invalid(`"${bad[0]}" must be a string`)
  if (platform !== 'ios' && platform !== 'android') {
    return invalid('"platform" must be "ios" or "android"')
  }
  return { ok: true, value: { ...(fields as Record<keyof typeof fields, string>), platform } }
}

/** Validates a share card the bridge records. */
export function parseShare(input: unknown): Parsed<ShareRecord> {
  if (!isRecord(input)) return invalid('the body must be a JSON object')
  const { api, page, title, desc, link, imgUrl } = input
  if (!SHARE_APIS.includes(api as ShareApi)) {
    return invalid(`"api" must be one of ${SHARE_APIS.join(', ')}`)
  }
  const fields = { page, title, link, imgUrl }
  const bad = Object.entries(fields).find(([, value]) => !isField(value))
  if (bad) return invalid(`"${bad[0]}" must be a string`)
  if (desc !== undefined && !isField(desc)) return invalid('"desc" must be a string')
  return {
    ok: true,
    value: {
      api: api as ShareApi,
      ...(fields as Record<keyof typeof fields, string>),
      ...(desc !== undefined ? { desc } : {}),
    },
  }
}

/** Validates a forced verification answer. */
export function parseForce(input: unknown): Parsed<ForcedVerify> {
  if (!isRecord(input)) return invalid('the body must be a JSON object')
  const extra = unknownKey(input, ['errMsg', 'times'])
  if (extra !== null) return invalid(`unknown key "${extra}"`)
  const { errMsg, times } = input
  if (!FORCEABLE.includes(errMsg as ForcedVerify['errMsg'])) {
    return invalid(`"errMsg" must be one of ${FORCEABLE.join(', ')}`)
  }
  if (times !== undefined && !isInteger(times, 1, MAX_TIMES)) {
    return invalid(`"times" must be an integer from 1 to ${MAX_TIMES}`)
  }
  return {
    ok: true,
    value: { errMsg: errMsg as ForcedVerify['errMsg'], times: (times as number | undefined) ?? 1 },
  }
}

/** The users as `GET /__emulator/users` lists them. */
export function userSummaries(state: EmulatorState): UserSummary[] {
  return TEST_USERS.map(({ id }) => {
    const user = state.user(id)
    return {
      id,
      nickname: user.nickname,
      headimgurl: user.headimgurl,
      hasUnionid: user.unionid !== null,
      snapshot: user.snapshot,
      followed: user.followed,
      openid: state.openid(id),
      unionid: user.unionid,
      consentUntil: state.consentUntil(id),
    }
  })
}

export interface ControlAnswer {
  readonly status: number
  readonly body: unknown
  readonly headers?: Record<string, string>
}

/** `param` is the variable segment of a route such as `users/{id}/avatar`. */
type Route = (state: EmulatorState, body: Parsed<unknown>, param: string) => ControlAnswer

const ok = (body: unknown = { ok: true }): ControlAnswer => ({ status: 200, body })
const badRequest = (error: string): ControlAnswer => ({ status: 400, body: { error } })

/** `users/{id}/avatar`: the user picks a new avatar; the old URL then answers 404. */
const AVATAR_ROUTE = /^users\/([^/]+)\/avatar$/
const AVATAR_METHODS: Partial<Record<string, Route>> = {
  POST: (state, _body, id) => {
    if (!isTestUserId(id)) return { status: 404, body: { error: `no test user "${id}"` } }
    return ok({ ok: true, ...state.changeAvatar(id) })
  },
}

const ROUTES: Record<string, Partial<Record<string, Route>>> = {
  health: { GET: () => ok() },
  reset: {
    POST: (state) => {
      state.reset()
      return ok()
    },
  },
  users: { GET: (state) => ok(userSummaries(state)) },
  'next-user': {
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      if (!isRecord(body.value) || !('user' in body.value)) return badRequest('"user" is missing')
      const user = parseNextUser(body.value.user)
      if (!user.ok) return badRequest(user.error)
      state.nextUser = user.value
      return ok({ ok: true, user: state.chosenUser() })
    },
  },
  faults: {
    GET: (state) => ok(state.pendingFaults()),
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      const fault = parseFault(body.value)
      if (!fault.ok) return badRequest(fault.error)
      if (!state.addFault(fault.value)) return badRequest(TOO_MANY_FAULTS)
      return ok({ ok: true, faults: state.pendingFaults() })
    },
    DELETE: (state) => {
      state.clearFaults()
      return ok()
    },
  },
  config: {
    GET: (state) => ok(state.config),
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      const config = parseConfig(body.value)
      if (!config.ok) return badRequest(config.error)
      state.config = { ...state.config, ...config.value }
      return ok(state.config)
    },
  },
  clock: {
    GET: (state) => ok({ now: state.now() }),
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      if (!isRecord(body.value)) return badRequest('the body must be a JSON object')
      const advance = parseAdvance(body.value.advanceMs)
      if (!advance.ok) return badRequest(advance.error)
      state.advanceClock(advance.value)
      return ok({ ok: true, now: state.now() })
    },
  },
  log: { GET: (state) => ok(state.log()) },
  counts: { GET: (state) => ok(state.callCounts()) },
  tickets: { GET: (state) => ok(state.account.validTickets()) },
  'jssdk/verify': {
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      const request = parseVerify(body.value)
      if (!request.ok) return badRequest(request.error)
      const { url, platform, verifyAppId: appId } = request.value
      const forced = state.jssdk.takeForced(url.split('#')[0] ?? url)
      const answer =
        forced ??
        verifyJssdk(
          request.value,
          { appId: state.fixed.appId, jsDomains: state.jsDomains() },
          state.account.validTickets(),
        )
      state.jssdk.verified({
        url,
        platform,
        appId,
        errMsg: answer.errMsg,
        ...(forced ? { forced: true as const } : {}),
      })
      return ok(answer)
    },
  },
  'jssdk/verifies': { GET: (state) => ok(state.jssdk.verifies) },
  'jssdk/force': {
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      const force = parseForce(body.value)
      if (!force.ok) return badRequest(force.error)
      state.jssdk.forced = force.value
      return ok({ ok: true, forced: force.value })
    },
    DELETE: (state) => {
      state.jssdk.forced = null
      return ok()
    },
  },
  'jssdk/share': {
    POST: (state, body) => {
      if (!body.ok) return badRequest(body.error)
      const share = parseShare(body.value)
      if (!share.ok) return badRequest(share.error)
      const answer = checkShare(share.value, state.jsDomains())
      if (answer.ok) state.jssdk.shared(share.value)
      return ok(answer)
    },
  },
  shares: { GET: (state) => ok(state.jssdk.shares) },
  consents: {
    DELETE: (state) => ok({ ok: true, forgotten: state.forgetConsents() }),
  },
  'expire-token': {
    POST: (state) => ok({ ok: true, expired: state.account.expireTokens() }),
  },
}

function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return invalid('the body is not valid JSON')
  }
}

/**
 * The control API under `/__emulator/`: JSON in, JSON out; 400 with `{ "error" }` on bad
 * input, 413 past the body limit, 404 for an unknown route, 405 for a wrong method.
 */
export async function controlApi(
  state: EmulatorState,
  method: string,
  route: string,
  readBody: () => Promise<BodyResult>,
): Promise<ControlAnswer> {
  const avatar = AVATAR_ROUTE.exec(route)
  const param = avatar?.[1] ?? ''
  const methods = avatar ? AVATAR_METHODS : Object.hasOwn(ROUTES, route) ? ROUTES[route] : undefined
  if (!methods) return { status: 404, body: { error: `unknown control route "${route}"` } }
  const handler = methods[method]
  if (!handler) {
    const allow = Object.keys(methods).join(', ')
    return { status: 405, body: { error: `use ${allow}` }, headers: { Allow: allow } }
  }
  if (method !== 'POST') return handler(state, invalid('no body'), param)
  const body = await readBody()
  if (!body.ok && body.reason === 'too-large') {
    return {
      status: 413,
      body: { error: 'request body too large' },
      headers: { Connection: 'close' },
    }
  }
  return handler(state, body.ok ? parseJson(body.text) : invalid('request aborted'), param)
}
