import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  SNS_ENDPOINTS,
  SNS_HANDLERS,
  unknownApiPath,
  type ApiAnswer,
  type SnsEndpoint,
} from './api'
import {
  checkAuthorizeQuery,
  firstValues,
  isWechatUserAgent,
  parseQuery,
  redirectBack,
  type AuthorizeCheck,
} from './authorize'
import type { Ticket } from './account'
import { avatarPng } from './avatar'
import {
  CGI_ENDPOINTS,
  CGI_HANDLERS,
  loggedParams,
  type CgiCall,
  type CgiEndpoint,
} from './cgi-bin'
import {
  controlApi,
  parseAdvance,
  parseConfig,
  parseFault,
  parseNextUser,
  TOO_MANY_FAULTS,
  userSummaries,
  type FaultInput,
  type UserSummary,
} from './control'
import {
  EMULATOR_APP_NAME,
  EMULATOR_APPID,
  EMULATOR_APPSECRET,
  EMULATOR_DOMAIN,
  EMULATOR_HOST,
  EMULATOR_PORT,
} from './defaults'
import { JSBRIDGE_SCRIPT, SAME_ORIGIN_JSBRIDGE_SCRIPT } from './jsbridge-script'
import { hasCookie, readBody, send, sendHtml, sendJson, sendTooLarge, splitTarget } from './http'
import { consentPage, errorPage, notInWechatPage, redirectPage } from './pages'
import {
  EmulatorState,
  type CallCounts,
  type Fault,
  type FaultEndpoint,
  type LogEntry,
  type RuntimeConfig,
} from './state'
import { isTestUserId, TEST_USERS, type TestUserId } from './users'
import { apiError, numberedPageError, pageError, type PageError } from './wechat'

export type {
  CallCounts,
  Fault,
  FaultEndpoint,
  FaultInput,
  LogEntry,
  RuntimeConfig,
  Ticket,
  UserSummary,
}

export interface EmulatorOptions {
  /** Listen on this address only. Default 127.0.0.1. */
  host?: string
  /** 0 picks a free port. Default 8899. */
  port?: number
  appId?: string
  appSecret?: string
  /** Shown on the consent sheet. */
  appName?: string
  /** The web-authorization domain redirect_uri must use. Default `localhost`. */
  domain?: string
  /** Default 5 minutes. */
  codeTtlMs?: number
  /** Default 7200. */
  accessTokenTtlS?: number
  /** Default 30 days. */
  refreshTokenTtlS?: number
  /** Default true: the authorize page refuses User-Agents without MicroMessenger. */
  requireWechatUa?: boolean
  /** Default false: the dev escape hatch past the "open in WeChat" page. */
  allowDesktop?: boolean
  /** Default 40029: which errcode an expired code gets is unverified. */
  expiredCodeErrcode?: 40029 | 42003
  /** Default `null`: no IP whitelist. A list refuses other callers of the token endpoints. */
  ipWhitelist?: readonly string[] | null
  /** Default false: the token endpoints answer 40243 when true. */
  frozenSecret?: boolean
  /** Default 2,000 (a 测试号 has 200): `/cgi-bin/token` calls a day before 45009. */
  tokenDailyQuota?: number
  /** Default false: a `snsapi_base` exchange never carries a unionid (unverified). */
  baseUnionid?: boolean
  /** Default false: true makes the account a 测试号, refusing non-followers with 10006. */
  testAccount?: boolean
  /** The base clock, Date.now by default; the control API adds its offset. */
  now?: () => number
  /** No request log on stdout. */
  quiet?: boolean
}

export interface Emulator {
  /** The origin playing both open.weixin.qq.com and api.weixin.qq.com. */
  readonly url: string
  readonly appId: string
  readonly appSecret: string
  close(): Promise<void>
  /** Forgets codes, tokens, faults, the chosen user, the log, clock and config changes. */
  reset(): void
  users(): UserSummary[]
  /** The user the next authorizations are for (preselected on the consent sheet). */
  setNextUser(user: TestUserId | null): void
  addFault(fault: FaultInput): void
  clearFaults(): void
  /** Changes settings at runtime and answers the whole configuration. */
  setConfig(config: Partial<RuntimeConfig>): RuntimeConfig
  /** Moves the emulator's clock forward and answers its new time. */
  advanceClock(ms: number): number
  log(): LogEntry[]
  /** Calls so far to each endpoint, errors and faults included; never cut short like the log. */
  counts(): CallCounts
  /** The jsapi_tickets valid now (none or one): what a page's signature must be made with. */
  tickets(): Ticket[]
  /** Expires every live global access token now (calls then get 42001); answers how many. */
  expireToken(): number
  /** The user picks a new avatar: answers the old and new URLs; the old one then 404s. */
  changeAvatar(user: TestUserId): { previous: string; headimgurl: string }
}

/** The WeixinJSBridge stand-in e2e tests and `npm run dev` put before the page's scripts. */
const JSBRIDGE_PATH = '/__emulator/jsbridge.js'
const CONFIRM_PATH = '/connect/oauth2/authorize/confirm'
const AUTHORIZE_PATH = '/connect/oauth2/authorize'
const WECHAT_JSON = 'text/plain'

function unwrap<T>(parsed: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!parsed.ok) throw new TypeError(parsed.error)
  return parsed.value
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/** What an injected fault answers instead of the endpoint, or `null` when it only delays. */
function faultResponse(
  fault: Fault,
  kind: 'api' | 'page',
): { status: number; contentType: string; body: string } | null {
  const status = fault.status ?? 200
  const contentType = kind === 'api' ? WECHAT_JSON : 'text/html; charset=utf-8'
  if (fault.body !== undefined) return { status, contentType, body: fault.body }
  if (fault.errcode !== undefined) {
    const body =
      kind === 'api'
        ? JSON.stringify(apiError(fault.errcode, fault.errmsg))
        : errorPage(numberedPageError(fault.errcode, fault.errmsg))
    return { status, contentType, body }
  }
  if (fault.status !== undefined) {
    const text = `${fault.status} ${STATUS_CODES[fault.status] ?? 'Error'}`
    return { status, contentType: 'text/plain; charset=utf-8', body: text }
  }
  return null
}

function snsEndpoint(path: string): SnsEndpoint | null {
  return Object.hasOwn(SNS_ENDPOINTS, path)
    ? SNS_ENDPOINTS[path as keyof typeof SNS_ENDPOINTS]
    : null
}

function cgiEndpoint(path: string): CgiEndpoint | null {
  return Object.hasOwn(CGI_ENDPOINTS, path)
    ? CGI_ENDPOINTS[path as keyof typeof CGI_ENDPOINTS]
    : null
}

/** The request line as stdout shows it: no secret, and no global token under /cgi-bin. */
function redactTarget(target: string): string {
  const hidden = target.startsWith('/cgi-bin/')
    ? /([?&](?:secret|access_token)=)[^&#]*/g
    : /([?&]secret=)[^&#]*/g
  return target.replace(hidden, '$1***')
}

/**
 * Starts a local stand-in for WeChat web authorization: the authorize page of
 * open.weixin.qq.com and the `/sns` API of api.weixin.qq.com on one origin, with the
 * account's global token and jsapi_ticket under `/cgi-bin`, plus a control API under
 * `/__emulator/` for tests.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 * @see ../shared/wechat-behaviour.md §8
 */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? EMULATOR_HOST
  const state = new EmulatorState(
    {
      appId: options.appId ?? EMULATOR_APPID,
      appSecret: options.appSecret ?? EMULATOR_APPSECRET,
      appName: options.appName ?? EMULATOR_APP_NAME,
      accessTokenTtlS: options.accessTokenTtlS ?? 7200,
      refreshTokenTtlS: options.refreshTokenTtlS ?? 30 * 86_400,
    },
    {
      requireWechatUa: options.requireWechatUa ?? true,
      allowDesktop: options.allowDesktop ?? false,
      codeTtlMs: options.codeTtlMs ?? 300_000,
      domain: options.domain ?? EMULATOR_DOMAIN,
      expiredCodeErrcode: options.expiredCodeErrcode ?? 40029,
      ipWhitelist: options.ipWhitelist ?? null,
      frozenSecret: options.frozenSecret ?? false,
      tokenDailyQuota: options.tokenDailyQuota ?? 2000,
      baseUnionid: options.baseUnionid ?? false,
      testAccount: options.testAccount ?? false,
    },
    options.now ?? Date.now,
  )
  const delays = new Set<NodeJS.Timeout>()

  /** Waits out an injected delay; on close the timer is cleared and the wait never ends. */
  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer)
        resolve()
      }, ms)
      delays.add(timer)
    })
  }

  async function takeFault(endpoint: FaultEndpoint): Promise<Fault | null> {
    const fault = state.takeFault(endpoint)
    if (fault?.delayMs) await delay(fault.delayMs)
    return fault
  }

  /** WeChat refuses other browsers; the dev escape hatch lets a cookie through. */
  function outsideWechat(req: IncomingMessage): boolean {
    if (!state.config.requireWechatUa || isWechatUserAgent(req.headers['user-agent'])) return false
    return !(state.config.allowDesktop && hasCookie(req, 'emulator_desktop', '1'))
  }

  function noteError(entry: LogEntry, error: PageError): void {
    if (typeof error.code === 'number') entry.errcode = error.code
    else entry.error = error.code
  }

  function checkRequest(req: IncomingMessage, rawQuery: string): AuthorizeCheck {
    if (outsideWechat(req)) return { ok: false, error: pageError('not-wechat') }
    return checkAuthorizeQuery(rawQuery, { appId: state.fixed.appId, domain: state.config.domain })
  }

  async function authorize(req: IncomingMessage, res: ServerResponse, rawQuery: string) {
    const entry = state.record('authorize', firstValues(parseQuery(rawQuery) ?? []))
    const fault = await takeFault('authorize')
    const faulted = fault && faultResponse(fault, 'page')
    if (faulted) {
      entry.fault = true
      if (fault.errcode !== undefined) entry.errcode = fault.errcode
      send(res, faulted.status, faulted.contentType, faulted.body, { 'Cache-Control': 'no-store' })
      return
    }
    const check = checkRequest(req, rawQuery)
    if (!check.ok) {
      const { error } = check
      noteError(entry, error)
      if (error.code === 'not-wechat') {
        sendHtml(res, 200, notInWechatPage(state.config.allowDesktop))
        return
      }
      // Unverified: WeChat's error pages are assumed to be HTTP 200, as its API errors are.
      // Only a malformed query, which is a client bug rather than a WeChat page, gets 400.
      sendHtml(res, error.code === 'bad-request' ? 400 : 200, errorPage(error))
      return
    }
    const { request } = check
    const userId = state.chosenUser()
    const user = state.user(userId)
    if (state.config.testAccount && !user.followed) {
      const error = numberedPageError(10006)
      noteError(entry, error)
      sendHtml(res, 200, errorPage(error))
      return
    }
    // The snapshot page skips consent, so the snapshot user goes the silent way too.
    const remembered = state.hasConsent(userId) && !request.forcePopup
    if (request.scope === 'snsapi_base' || user.snapshot || remembered) {
      const code = state.issueCode(userId, request.scope)
      sendHtml(res, 200, redirectPage(redirectBack(request, code)))
      return
    }
    const users = TEST_USERS.map(({ id }) => state.user(id))
    sendHtml(res, 200, consentPage({ appName: state.fixed.appName, users, selected: userId }))
  }

  /** The consent sheet's 允许 / 拒绝: checked again in full, since the page is not trusted. */
  async function confirm(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req)
    if (!body.ok) {
      if (body.reason === 'too-large') sendTooLarge(res)
      return
    }
    let input: unknown
    try {
      input = JSON.parse(body.text)
    } catch {
      input = null
    }
    const fields =
      typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {}
    const { query, user, decision } = fields
    const rawQuery = typeof query === 'string' ? query : ''
    const entry = state.record('confirm', {
      ...firstValues(parseQuery(rawQuery) ?? []),
      user: typeof user === 'string' ? user : '',
      decision: typeof decision === 'string' ? decision : '',
    })
    const refuse = (error: PageError) => {
      noteError(entry, error)
      sendJson(res, 400, { code: error.code, error: error.text })
    }
    if (typeof query !== 'string') return refuse(pageError('bad-request'))
    const check = checkRequest(req, rawQuery)
    if (!check.ok) return refuse(check.error)
    if (!isTestUserId(user) || (decision !== 'allow' && decision !== 'deny')) {
      return refuse(pageError('bad-request'))
    }
    if (state.config.testAccount && !state.user(user).followed) {
      return refuse(numberedPageError(10006))
    }
    // Declining leaves any earlier consent as it was (unverified).
    const allowed = decision === 'allow'
    if (allowed && check.request.scope === 'snsapi_userinfo') state.consent(user)
    const code = allowed ? state.issueCode(user, check.request.scope) : null
    sendJson(res, 200, { redirect: redirectBack(check.request, code) })
  }

  /** The API of api.weixin.qq.com: `/sns` (web authorization) and `/cgi-bin` (the account's). */
  async function api(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string) {
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'POST') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', { Allow: 'GET, POST' })
      return
    }
    // Parameters travel in the query, as WeChat documents; only stable_token reads the body.
    let body = ''
    if (method === 'POST') {
      const read = await readBody(req)
      if (!read.ok) {
        if (read.reason === 'too-large') sendTooLarge(res)
        return
      }
      body = read.text
    }
    const pairs = parseQuery(rawQuery)
    if (!pairs) {
      send(res, 400, 'text/plain; charset=utf-8', 'malformed query string')
      return
    }
    const sns = snsEndpoint(path)
    const cgi = cgiEndpoint(path)
    const answerWith = (answer: ApiAnswer) =>
      send(res, 200, WECHAT_JSON, JSON.stringify(answer.body))
    const endpoint = sns ?? cgi
    if (!endpoint) return answerWith(unknownApiPath())

    const query = firstValues(pairs)
    const call: CgiCall = { method, query, body, ip: req.socket.remoteAddress ?? '' }
    const entry = state.record(endpoint, cgi ? loggedParams(cgi, call) : query)
    const fault = await takeFault(endpoint)
    const faulted = fault && faultResponse(fault, 'api')
    if (faulted) {
      entry.fault = true
      if (fault.errcode !== undefined) entry.errcode = fault.errcode
      // WeChat burns the code even when the exchange fails with a system error.
      if (endpoint === 'access_token' && fault.errcode === -1 && query.code) {
        state.burnCode(query.code)
      }
      send(res, faulted.status, faulted.contentType, faulted.body)
      return
    }
    const answer = cgi
      ? CGI_HANDLERS[cgi](state, call)
      : SNS_HANDLERS[endpoint as SnsEndpoint](state, query)
    if (answer.errcode !== undefined) entry.errcode = answer.errcode
    answerWith(answer)
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const { path, rawQuery } = splitTarget(req.url ?? '/')
    const method = req.method ?? 'GET'
    if (path === AUTHORIZE_PATH) {
      if (method !== 'GET')
        return send(res, 405, 'text/plain', 'Method Not Allowed', { Allow: 'GET' })
      return authorize(req, res, rawQuery)
    }
    if (path === CONFIRM_PATH) {
      if (method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' })
      return confirm(req, res)
    }
    if (path.startsWith('/sns/') || path.startsWith('/cgi-bin/')) {
      return api(req, res, path, rawQuery)
    }
    if (path === JSBRIDGE_PATH && (method === 'GET' || method === 'HEAD')) {
      const sameOrigin = new URLSearchParams(rawQuery).get('sameOrigin') === '1'
      const script = sameOrigin ? SAME_ORIGIN_JSBRIDGE_SCRIPT : JSBRIDGE_SCRIPT
      return send(res, 200, 'text/javascript; charset=utf-8', script, {
        'Cache-Control': 'no-store',
      })
    }
    if (path.startsWith('/__emulator/')) {
      const answer = await controlApi(state, method, path.slice('/__emulator/'.length), () =>
        readBody(req),
      )
      return sendJson(res, answer.status, answer.body, answer.headers)
    }
    if (path.startsWith('/mmopen/') && (method === 'GET' || method === 'HEAD')) {
      // Unverified: what a dead qlogo.cn avatar answers; a 404 is what pages see broken.
      if (state.avatarRetired(path)) return send(res, 404, 'text/plain; charset=utf-8', 'Not Found')
      return send(res, 200, 'image/png', avatarPng(path), {
        'Cache-Control': 'public, max-age=86400',
        'Access-Control-Allow-Origin': '*',
      })
    }
    send(res, 404, 'text/plain; charset=utf-8', 'Not Found')
  }

  const server = createServer((req, res) => {
    const started = performance.now()
    if (!options.quiet) {
      res.on('finish', () => {
        const ms = Math.round(performance.now() - started)
        const target = redactTarget(req.url ?? '')
        console.log(`[wechat-emulator] ${req.method} ${target} ${res.statusCode} ${ms}ms`)
      })
    }
    handle(req, res).catch((error: unknown) => {
      console.error('[wechat-emulator] unexpected error', error)
      if (res.headersSent) res.destroy()
      else send(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error')
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? EMULATOR_PORT, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined

  return {
    url: `http://${hostForUrl(host)}:${port}`,
    appId: state.fixed.appId,
    appSecret: state.fixed.appSecret,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of delays) clearTimeout(timer)
        delays.clear()
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
      return closing
    },
    reset: () => state.reset(),
    users: () => userSummaries(state),
    setNextUser: (user) => {
      state.nextUser = unwrap(parseNextUser(user))
    },
    addFault: (fault) => {
      if (!state.addFault(unwrap(parseFault(fault)))) throw new RangeError(TOO_MANY_FAULTS)
    },
    clearFaults: () => state.clearFaults(),
    setConfig: (config) => {
      state.config = { ...state.config, ...unwrap(parseConfig(config)) }
      return { ...state.config }
    },
    advanceClock: (ms) => {
      state.advanceClock(unwrap(parseAdvance(ms)))
      return state.now()
    },
    log: () => state.log(),
    counts: () => state.callCounts(),
    tickets: () => state.account.validTickets(),
    expireToken: () => state.account.expireTokens(),
    changeAvatar: (user) => {
      if (!isTestUserId(user)) throw new TypeError(`no test user "${String(user)}"`)
      return state.changeAvatar(user)
    },
  }
}
