import type { Context } from '@netlify/functions'
import type { SessionUser, UserResponse } from '../../contract/index.ts'
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

/** The HandlerEnv of a Netlify Function's invocation. */
export function netlifyEnv(context: Context): HandlerEnv {
  return {
    env: (name) => Netlify.env.get(name),
    requestId: context.requestId,
    waitUntil: context.waitUntil,
  }
}

/** Starts a Blobs write the answer does not wait for. */
export type Bookkeep = (what: string, write: () => Promise<unknown>) => void

/**
 * Blobs writes the answer does not depend on, started as soon as their data is known. They
 * must not cost the user their sign-in: a Blobs outage leaves the record stale and is logged
 * for the operator, but the user is signed in.
 */
class Bookkeeping {
  private readonly writes: Promise<boolean>[] = []

  constructor(private readonly env: HandlerEnv) {}

  readonly add: Bookkeep = (what, write) => {
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

/** What a handler's body gets besides the request. */
export interface Frame {
  env: HandlerEnv
  url: URL
  /** The request's one reading of the clock, epoch ms and s. */
  nowMs: number
  nowS: number
  stores: StoreFactory
  bookkeep: Bookkeep
}

/**
 * The frame every handler shares: the method check, one error-to-answer mapping, and the
 * writes started during the request handed over after the answer.
 */
export function defineHandler(
  methods: readonly string[],
  answer: (request: Request, frame: Frame) => Promise<Response>,
): (request: Request, env: HandlerEnv) => Promise<Response> {
  return async (request, env) => {
    const bookkeeping = new Bookkeeping(env)
    try {
      requireMethod(request, methods)
      const nowMs = (env.now ?? Date.now)()
      return await answer(request, {
        env,
        url: new URL(request.url),
        nowMs,
        nowS: Math.floor(nowMs / 1000),
        stores: env.stores ?? siteStores,
        bookkeep: bookkeeping.add,
      })
    } catch (error) {
      return errorResponse(error, env.requestId)
    } finally {
      await bookkeeping.release()
    }
  }
}

function readSession(request: Request, secrets: SessionSecrets, frame: Frame) {
  return openSession(readCookie(request.headers.get('cookie'), SESSION_COOKIE), secrets, frame.nowS)
}

async function currentSession(request: Request, secrets: SessionSecrets, frame: Frame) {
  const session = await readSession(request, secrets, frame)
  if (!session) throw new ApiError('not_signed_in', 'not signed in')
  return session
}

/** The user, with a session cookie sealed now; `authTime` is when they signed in. */
async function withSession(
  user: SessionUser,
  secrets: SessionSecrets,
  frame: Frame,
  authTime = frame.nowS,
): Promise<Response> {
  const sealed = await sealSession(user, secrets, frame.nowS, authTime)
  const body: UserResponse = { user }
  return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, frame.url) })
}

/** `POST /api/auth/wechat`: `{ code, state }` → the user, and a session cookie. */
export const handleWechatLogin = defineHandler(['POST'], async (request, frame) => {
  const input = await readLoginRequest(request)
  const config = loadConfig(frame.env.env)
  const { user, token } = await signInWithCode(input.code, {
    config,
    fetch: frame.env.fetch,
    lang: input.lang,
  })
  // The count, the profile and the tokens are one new event: one write, conflicting with
  // none. A refresh that comes before it lands finds no grant and answers reauth_required,
  // which sends the SPA through a fresh authorization: slower, never wrong.
  frame.bookkeep('user record', async () =>
    recordSignIn(
      frame.stores('users'),
      user,
      new Date(frame.nowMs),
      await sealTokens(config.secrets, grantTokens(token, frame.nowMs)),
    ),
  )
  return withSession(user, config.secrets, frame)
})

/**
 * `GET /api/session` → the signed-in user, re-issuing the cookie at most hourly so an
 * active user stays signed in; `DELETE /api/session` → signed out, tokens forgotten. Both
 * need the session secrets alone.
 */
export const handleSession = defineHandler(['GET', 'DELETE'], async (request, frame) => {
  if (request.method === 'DELETE') return signOut(request, frame)
  const secrets = loadSessionSecrets(frame.env.env)
  const session = await currentSession(request, secrets, frame)
  if (!shouldRotate(session, frame.nowS)) return json({ user: session.user } satisfies UserResponse)
  return withSession(session.user, secrets, frame, session.authTime)
})

/** Always clears the cookie: no setting it does not need, not even a missing secret, stops it. */
async function signOut(request: Request, frame: Frame): Promise<Response> {
  let session: Session | null = null
  try {
    session = await readSession(request, loadSessionSecrets(frame.env.env), frame)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(
      `[${frame.env.requestId ?? '-'}] misconfigured: set ${error.variable}: ${error.message}`,
    )
  }
  if (session) {
    const { openid } = session.user
    frame.bookkeep('token deletion', () => deleteTokens(frame.stores, openid, frame.nowMs))
  }
  return noContent({ 'Set-Cookie': clearedSessionCookie(frame.url) })
}

/** `POST /api/session/refresh` → the profile re-read from WeChat with the stored grant. */
export const handleSessionRefresh = defineHandler(['POST'], async (request, frame) => {
  const config = loadConfig(frame.env.env)
  const session = await currentSession(request, config.secrets, frame)
  const user = await refreshProfile(session.user, {
    config,
    fetch: frame.env.fetch,
    stores: frame.stores,
    now: frame.nowMs,
    bookkeep: frame.bookkeep,
  })
  return withSession(user, config.secrets, frame, session.authTime)
})
