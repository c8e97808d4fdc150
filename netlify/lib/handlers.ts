import type { UserResponse } from '../../src/contract.ts'
import { loadConfig } from './config.ts'
import {
  ApiError,
  errorResponse,
  json,
  noContent,
  readLoginRequest,
  requireMethod,
} from './http.ts'
import { signInWithCode } from './login.ts'
import {
  clearedSessionCookie,
  openSession,
  readCookie,
  sealSession,
  sessionCookie,
  SESSION_COOKIE,
} from './session.ts'

/** What a handler needs from its platform; tests pass their own. */
export interface HandlerEnv {
  env: (name: string) => string | undefined
  requestId?: string
  fetch?: typeof fetch
  now?: () => number
}

const nowSeconds = (env: HandlerEnv) => Math.floor((env.now ?? Date.now)() / 1000)

/** `POST /api/auth/wechat`: `{ code, state }` → the user, and a session cookie. */
export async function handleWechatLogin(request: Request, env: HandlerEnv): Promise<Response> {
  try {
    requireMethod(request, ['POST'])
    const input = await readLoginRequest(request)
    const config = loadConfig(env.env)
    const { user } = await signInWithCode(input.code, {
      config,
      fetch: env.fetch,
      lang: input.lang,
    })
    const sealed = await sealSession(user, config.sessionSecret, nowSeconds(env))
    const body: UserResponse = { user }
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, new URL(request.url)) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  }
}

/** `GET /api/session` → the signed-in user; `DELETE /api/session` → signed out. */
export async function handleSession(request: Request, env: HandlerEnv): Promise<Response> {
  try {
    requireMethod(request, ['GET', 'DELETE'])
    const url = new URL(request.url)
    if (request.method === 'DELETE') {
      return noContent({ 'Set-Cookie': clearedSessionCookie(url) })
    }
    const config = loadConfig(env.env)
    const token = readCookie(request.headers.get('cookie'), SESSION_COOKIE)
    const user = await openSession(token, config.sessionSecret, nowSeconds(env))
    if (!user) throw new ApiError('not_signed_in', 'not signed in')
    const body: UserResponse = { user }
    return json(body)
  } catch (error) {
    return errorResponse(error, env.requestId)
  }
}
