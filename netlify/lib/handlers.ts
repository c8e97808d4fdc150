import type { UserResponse } from '../../contract/index.ts'
import { ConfigError, loadConfig, loadSessionSecrets, type SessionSecrets } from './config.ts'
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
import { deleteTokens, grantTokens, sealTokens } from './tokens.ts'
import { recordSignIn } from './users.ts'

/** What a handler needs from its platform; tests pass their own. */
export interface HandlerEnv {
  env: (name: string) => string | undefined
  requestId?: string
  fetch?: typeof fetch
  now?: () => number
  stores?: StoreFactory
  /**
   * Keeps the function alive for work after the answer: Netlify's `context.waitUntil`.
   * Without it (unit tests) that work is awaited before answering, so a test sees it done.
   * The promise never rejects; it resolves to whether every write landed.
   */
  waitUntil?: (bookkeeping: Promise<boolean>) => void
}

const nowMs = (env: HandlerEnv) => (env.now ?? Date.now)()
const nowSeconds = (env: HandlerEnv) => Math.floor(nowMs(env) / 1000)

/**
 * Blobs writes the answer does not depend on, started as soon as their data is known. They
 * must not cost the user their sign-in: a Blobs outage leaves the record stale and is logged
 * for the operator, but the user is signed in.
 */
class Bookkeeping {
  private readonly writes: Promise<boolean>[] = []

  constructor(private readonly env: HandlerEnv) {}

  readonly add = (what: string, write: () => Promise<unknown>): void => {
    // Async, so that a store that throws at once (no Blobs context) is a failure like any other.
    const running = (async () => write())()
    this.writes.push(
      running.then(
        () => true,
        (error: unknown) => {
          console.error(`[${this.env.requestId ?? '-'}] ${what} failed:`, error)
          return false
        },
      ),
    )
  }

  /** Hands the writes to `waitUntil`, so the answer need not wait; awaits them without it. */
  async release(): Promise<void> {
    if (this.writes.length === 0) return
    const settled = Promise.all(this.writes).then((landed) => landed.every(Boolean))
    if (this.env.waitUntil) this.env.waitUntil(settled)
    else await settled
  }
}

function readSession(request: Request, secrets: SessionSecrets, env: HandlerEnv) {
  const token = readCookie(request.headers.get('cookie'), SESSION_COOKIE)
  return openSession(token, secrets, nowSeconds(env))
}

async function currentSession(
  request: Request,
  secrets: SessionSecrets,
  env: HandlerEnv,
): Promise<Session> {
  const session = await readSession(request, secrets, env)
  if (!session) throw new ApiError('not_signed_in', 'not signed in')
  return session
}

/** The session secrets, or null (logged) when they are missing or invalid. */
function secretsForSignOut(env: HandlerEnv): SessionSecrets | null {
  try {
    return loadSessionSecrets(env.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(
      `[${env.requestId ?? '-'}] misconfigured: set ${error.variable}: ${error.message}`,
    )
    return null
  }
}

/** `POST /api/auth/wechat`: `{ code, state }` → the user, and a session cookie. */
export async function handleWechatLogin(request: Request, env: HandlerEnv): Promise<Response> {
  const bookkeeping = new Bookkeeping(env)
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
    const now = nowMs(env)
    // The count, the profile and the tokens go in one conditional write. A refresh that
    // comes before it lands finds no grant and answers reauth_required, which sends the SPA
    // through a fresh authorization: slower, never wrong.
    bookkeeping.add('user record', async () =>
      recordSignIn(
        stores('users'),
        user,
        new Date(now),
        await sealTokens(config.secrets, grantTokens(token, now)),
      ),
    )
    const sealed = await sealSession(user, config.secrets, Math.floor(now / 1000))
    const body: UserResponse = { user }
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, new URL(request.url)) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  } finally {
    await bookkeeping.release()
  }
}

/**
 * `GET /api/session` → the signed-in user, re-issuing the cookie at most hourly so an
 * active user stays signed in; `DELETE /api/session` → signed out, tokens forgotten.
 */
export async function handleSession(request: Request, env: HandlerEnv): Promise<Response> {
  const bookkeeping = new Bookkeeping(env)
  try {
    requireMethod(request, ['GET', 'DELETE'])
    const url = new URL(request.url)
    if (request.method === 'DELETE') {
      // Signing out always clears the cookie: no setting it does not need may stop it.
      const secrets = secretsForSignOut(env)
      const session = secrets && (await readSession(request, secrets, env))
      if (session) {
        const stores = env.stores ?? siteStores
        bookkeeping.add('token deletion', () => deleteTokens(stores, session.user.openid))
      }
      return noContent({ 'Set-Cookie': clearedSessionCookie(url) })
    }
    const secrets = loadSessionSecrets(env.env)
    const session = await currentSession(request, secrets, env)
    const body: UserResponse = { user: session.user }
    if (!shouldRotate(session, nowSeconds(env))) return json(body)
    const sealed = await sealSession(session.user, secrets, nowSeconds(env), session.authTime)
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, url) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  } finally {
    await bookkeeping.release()
  }
}

/** `POST /api/session/refresh` → the profile re-read from WeChat with the stored grant. */
export async function handleSessionRefresh(request: Request, env: HandlerEnv): Promise<Response> {
  const bookkeeping = new Bookkeeping(env)
  try {
    requireMethod(request, ['POST'])
    const config = loadConfig(env.env)
    const session = await currentSession(request, config.secrets, env)
    const user = await refreshProfile(session.user, {
      config,
      fetch: env.fetch,
      stores: env.stores ?? siteStores,
      now: nowMs(env),
      bookkeep: bookkeeping.add,
    })
    const sealed = await sealSession(user, config.secrets, nowSeconds(env), session.authTime)
    const body: UserResponse = { user }
    return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, new URL(request.url)) })
  } catch (error) {
    return errorResponse(error, env.requestId)
  } finally {
    await bookkeeping.release()
  }
}
