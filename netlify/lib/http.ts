import {
  API_ERROR_STATUS,
  CODE_PATTERN,
  STATE_PATTERN,
  VERIFIER_PATTERN,
  type ApiErrorCode,
  type ErrorBody,
  type LoginRequest,
  type WechatLang,
  WECHAT_LANGS,
} from '../../contract/index.ts'
import { ConfigError } from './config.ts'
import { WechatError, type WechatEndpoint } from './wechat.ts'

/** An error the API answers as is: a stable code, a lower-case message naming the problem. */
export class ApiError extends Error {
  readonly code: ApiErrorCode

  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ApiError'
    this.code = code
  }
}

const NO_STORE = { 'Cache-Control': 'no-store' }

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE },
  })
  for (const [name, value] of new Headers(headers)) response.headers.append(name, value)
  return response
}

export function noContent(headers: HeadersInit = {}): Response {
  return new Response(null, { status: 204, headers: { ...NO_STORE, ...headers } })
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } }
}

/**
 * WeChat errcodes that only the operator can clear: wrong settings, a frozen AppSecret (40243),
 * this server's IP missing from the account's whitelist (40164), the account token's daily
 * quota spent (45009).
 */
const MISCONFIGURED = new Set([40013, 40125, 41002, 41004, 40164, 40243, 45009])

/** What the operator does about each, said in the log. */
const OPERATOR_HINTS: Record<number, string> = {
  40164:
    "add this server's outgoing IP addresses to the account's IP whitelist (公众号后台 → 设置与开发 → 基本配置), or turn the whitelist off: serverless hosts have no fixed IP",
  40243: 'the AppSecret is frozen: unfreeze or reset it in 公众号后台 → 设置与开发 → 基本配置',
  45009:
    "the account token's daily quota is spent: reset it in 公众号后台 (接口权限), or wait for midnight Beijing time",
}
const DEFAULT_HINT = 'check WECHAT_APPID, WECHAT_APPSECRET and the server IP whitelist'

/** The account-wide calls: the same cause fails every request until the operator acts. */
const ACCOUNT_ENDPOINTS = new Set<WechatEndpoint>(['stable_token', 'getticket'])

/** Maps a WeChat failure to the API's error, keeping WeChat's own wording out of the answer. */
export function fromWechatError(error: WechatError): ApiError {
  if (error.kind === 'timeout' || error.kind === 'network' || error.kind === 'http_status') {
    return new ApiError('wechat_unavailable', 'wechat did not answer', { cause: error })
  }
  if (error.kind === 'openid_mismatch') {
    return new ApiError('wechat_rejected', 'wechat answered the profile of another user', {
      cause: error,
    })
  }
  if (error.kind === 'bad_body') {
    return new ApiError('wechat_unavailable', 'wechat answered an unreadable body', {
      cause: error,
    })
  }
  const errcode = error.errcode ?? 0
  if (errcode === 40029 || errcode === 42003 || errcode === 41008) {
    return new ApiError('invalid_code', 'the code is invalid or expired', { cause: error })
  }
  if (errcode === 40163)
    return new ApiError('code_used', 'the code was already used', { cause: error })
  if (errcode === -1) return new ApiError('wechat_busy', 'wechat is busy', { cause: error })
  if (errcode === 45011) {
    return new ApiError('wechat_rate_limited', 'wechat rate limit reached', { cause: error })
  }
  if (errcode === 48001) {
    return new ApiError('scope_unauthorized', 'the grant does not cover the profile', {
      cause: error,
    })
  }
  // On stable_token, 40001 is a wrong AppSecret; elsewhere, a token that is no longer valid.
  if (MISCONFIGURED.has(errcode) || (errcode === 40001 && error.endpoint === 'stable_token')) {
    return new ApiError('misconfigured', 'the service is misconfigured', { cause: error })
  }
  return new ApiError('wechat_rejected', `wechat refused the request (errcode ${errcode})`, {
    cause: error,
  })
}

/**
 * The single mapper from anything thrown to an HTTP answer. Users get a code and a short
 * message; the operator gets the detail in the log, tagged with the request id.
 */
export function errorResponse(error: unknown, requestId = '-'): Response {
  const apiError =
    error instanceof ApiError
      ? error
      : error instanceof WechatError
        ? fromWechatError(error)
        : error instanceof ConfigError
          ? new ApiError('misconfigured', 'the service is misconfigured', { cause: error })
          : new ApiError('internal', 'internal error', { cause: error })
  const status = API_ERROR_STATUS[apiError.code]
  if (status >= 500) logFailure(apiError, requestId)
  return json(errorBody(apiError.code, apiError.message), status)
}

/** Account-wide failures this instance has logged: each cause once, not once per request. */
const loggedAccountFailures = new Set<string>()

function logFailure(error: ApiError, requestId: string) {
  const cause = error.cause
  if (cause instanceof ConfigError) {
    console.error(`[${requestId}] ${error.code}: set ${cause.variable}: ${cause.message}`)
  } else if (cause instanceof WechatError) {
    if (error.code === 'misconfigured' && ACCOUNT_ENDPOINTS.has(cause.endpoint)) {
      const seen = `${cause.endpoint} ${cause.errcode}`
      if (loggedAccountFailures.has(seen)) return
      loggedAccountFailures.add(seen)
    }
    // The message names the errcode and WeChat's errmsg, cleaned of anything it echoed.
    const hint =
      error.code === 'misconfigured'
        ? ` (${OPERATOR_HINTS[cause.errcode ?? 0] ?? DEFAULT_HINT})`
        : ''
    console.error(`[${requestId}] ${error.code}: ${cause.message}${hint}`)
  } else {
    console.error(`[${requestId}] ${error.code}:`, cause ?? error)
  }
}

/** Bound on request bodies: a login request is a few short strings. */
export const MAX_BODY_BYTES = 4096

export function requireMethod(request: Request, allowed: readonly string[]): void {
  if (!allowed.includes(request.method)) {
    throw new ApiError('method_not_allowed', `method ${request.method} is not allowed`)
  }
}

/** A request's JSON object body, within `MAX_BODY_BYTES`; its fields are for the caller to check. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError('unsupported_media_type', 'content-type must be application/json')
  }
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > MAX_BODY_BYTES) throw new ApiError('payload_too_large', 'body is too large')
  const text = await request.text()
  if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) {
    throw new ApiError('payload_too_large', 'body is too large')
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ApiError('bad_request', 'body is not valid json')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('bad_request', 'body must be a json object')
  }
  return body as Record<string, unknown>
}

/** Reads and validates `POST /api/auth/wechat`'s body. */
export async function readLoginRequest(request: Request): Promise<LoginRequest> {
  const { code, state, verifier, lang, silent } = await readJsonObject(request)
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) {
    throw new ApiError('bad_request', 'code must be 1 to 128 letters or digits')
  }
  if (typeof state !== 'string' || !STATE_PATTERN.test(state)) {
    throw new ApiError('bad_request', 'state must be 1 to 128 letters or digits')
  }
  if (typeof verifier !== 'string' || !VERIFIER_PATTERN.test(verifier)) {
    throw new ApiError('bad_request', 'verifier must be 43 to 128 letters or digits')
  }
  if (lang !== undefined && !(WECHAT_LANGS as readonly unknown[]).includes(lang)) {
    throw new ApiError('bad_request', 'lang must be zh_CN, zh_TW or en')
  }
  if (silent !== undefined && typeof silent !== 'boolean') {
    throw new ApiError('bad_request', 'silent must be true or false')
  }
  return {
    code,
    state,
    verifier,
    ...(lang === undefined ? {} : { lang: lang as WechatLang }),
    ...(silent === undefined ? {} : { silent }),
  }
}
