import type { UserResponse } from '../../src/contract.ts'
import { loadConfig, type ServerConfig } from './config.ts'
import {
  ApiError,
  errorResponse,
  json,
  noContent,
  readLoginRequest,
  requireMethod,
} from './http.ts'
import { signInWithCode } from './login.ts'
import { refreshProfile } from './refresh.ts'
import {
  clearedSessionCookie,
  openSession,
  readCookie,
  sealSession,
  sessionCookie,
  shouldRotate,
  SESSION_COOKIE,
  type Session,
} from './session.ts'
import { siteStores, type StoreFactory } from './stores.ts'
import { deleteTokens, saveTokens } from './tokens.ts'
import { recordSignIn } from './users.ts'

/** What a handler needs from its platform; tests pass their own. */
export interface HandlerEnv {
  env: (name: string) => string | undefined
  requestId?: string
  fetch?: typeof fetch
  now?: () => number
  stores?: StoreFactory
}

const nowMs = (env: HandlerEnv) => (env.now ?? Date.now)()
const nowSeconds = (env: HandlerEnv) => Math.floor(nowMs(env) / 1000)

/**
 * Runs a bookkeeping write that must not cost the user their sign-in: a Blobs outage
 * leaves the record stale and is logged for the operator, but the user is signed in.
 */
async function bestEffort(env: HandlerEnv, what: string, write: () => Promise<unknown>) {
  try {
    await write()
  } catch (error) {
    console.error(`[${env.requestId ?? '-'}] ${what} failed:`, error)
  }
}

function readSession(request: Request, config: ServerConfig, env: HandlerEnv) {
  const token = readCookie(request.headers.get('cookie'), SESSION_COOKIE)
  return openSession(token, config.sessionSecret, nowSeconds(env))
}

async function currentSession(
  request: Request,
  config: ServerConfig,
  env: HandlerEnv,
): Promise<Session> {
  const session = await readSession(request, config, env)
  if (!session) throw new ApiError('not_signed_in', 'not signed in')
  return session
}

/** `POST /api/auth/wechat`: `{ code, state }` → the user, and a session cookie. */
export async function handleWechatLogin(request: Request, env: HandlerEnv): Promise<Response> {
  try {
    requireMethod(request, ['POST'])
    const input = await readLoginRequest(request)
    const config = loadConfig(env.env)
    const { user, token } = await signInWithCode(input.code, {
      config,
      fetch: env.fetch,
      lang: input.lang,
    })
    const stores = env.stores ?? siteStores
    await Promise.all([
      bestEffort(env, 'user record', () =>
        recordSignIn(stores('users'), user, new Date(nowMs(env))),
      ),
      bestEffort(env, 'token store', () =>
        saveTokens(stores('tokens'), config.sessionSecret, token, nowMs(env)),
      ),
    ])
    const sealed = await sealSession(user, config.sessionSecret, nowSeconds(env))
    const body: UserResponse = { user }
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, new URL(request.url)) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  }
}

/**
 * `GET /api/session` → the signed-in user, re-issuing the cookie at most hourly so an
 * active user stays signed in; `DELETE /api/session` → signed out, tokens forgotten.
 */
export async function handleSession(request: Request, env: HandlerEnv): Promise<Response> {
  try {
    requireMethod(request, ['GET', 'DELETE'])
    const url = new URL(request.url)
    const config = loadConfig(env.env)
    if (request.method === 'DELETE') {
      const session = await readSession(request, config, env)
      if (session) {
        const stores = env.stores ?? siteStores
        await bestEffort(env, 'token deletion', () =>
          deleteTokens(stores('tokens'), session.user.openid),
        )
      }
      return noContent({ 'Set-Cookie': clearedSessionCookie(url) })
    }
    const session = await currentSession(request, config, env)
    const body: UserResponse = { user: session.user }
    if (!shouldRotate(session, nowSeconds(env))) return json(body)
    const sealed = await sealSession(
      session.user,
      config.sessionSecret,
      nowSeconds(env),
      session.authTime,
    )
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, url) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  }
}

/** `POST /api/session/refresh` → the profile re-read from WeChat with the stored grant. */
export async function handleSessionRefresh(request: Request, env: HandlerEnv): Promise<Response> {
  try {
    requireMethod(request, ['POST'])
    const config = loadConfig(env.env)
    const session = await currentSession(request, config, env)
    const user = await refreshProfile(session.user, {
      config,
      fetch: env.fetch,
      stores: env.stores ?? siteStores,
      now: nowMs(env),
    })
    const sealed = await sealSession(user, config.sessionSecret, nowSeconds(env), session.authTime)
    const body: UserResponse = { user }
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, new URL(request.url)) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  }
}
