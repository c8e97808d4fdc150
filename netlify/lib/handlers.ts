import type { Context } from '@netlify/functions'
import type { UserResponse } from '../../contract/index.ts'
import { keepAvatarCopy, serveAvatar, withAvatar } from './avatars.ts'
import { ConfigError, loadConfig, loadSessionSecrets, type SessionSecrets } from './config.ts'
import {
  ApiError,
  errorResponse,
  json,
  noContent,
  readLoginRequest,
  requireMethod,
} from './http.ts'
import { requireOwnState, signInWithCode } from './login.ts'
import { refreshProfile } from './refresh.ts'
import { isRevoked, revokeAllSessions, revokeSession } from './revocations.ts'
import {
  clearedSessionCookie,
  newSessionId,
  openSession,
  readSessionCookie,
  sealSession,
  sessionCookie,
  shouldRotate,
  type Session,
  type SessionClaims,
} from './session.ts'
import { siteStores, type StoreFactory } from './stores.ts'
import { deleteTokens, grantTokens, sealTokens } from './tokens.ts'
import { recordSignIn } from './users.ts'

/** What a handler needs from its platform; tests pass their own. */
export interface HandlerEnv {
  env: (name: string) => string | undefined
  requestId?: string
  /** The client's address as Netlify saw it (`context.ip`), shown when a phone signs a computer in. */
  clientIp?: string
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
    clientIp: context.ip,
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

/** The session the request's cookie holds, revoked or not; null without one. */
function readSession(request: Request, secrets: SessionSecrets, frame: Frame) {
  return openSession(readSessionCookie(request), secrets, frame.nowS)
}

export const notSignedIn = () => new ApiError('not_signed_in', 'not signed in')

async function openedSession(request: Request, secrets: SessionSecrets, frame: Frame) {
  const session = await readSession(request, secrets, frame)
  if (!session) throw notSignedIn()
  return session
}

/**
 * The request's session, refused when it was ended; a Blobs outage refuses it too, since
 * nothing may act on a session that cannot be checked.
 */
export async function liveSession(request: Request, secrets: SessionSecrets, frame: Frame) {
  const session = await openedSession(request, secrets, frame)
  let ended: boolean
  try {
    ended = await isRevoked(frame.stores('sessions'), session)
  } catch (cause) {
    throw new ApiError('internal', 'the session cannot be checked now', { cause })
  }
  if (ended) throw notSignedIn()
  return session
}

/** What the API says of a session: its user, and whether a phone or a computer holds it. */
export function userResponse({ user, device }: SessionClaims): UserResponse {
  return { user, device: device ?? 'phone' }
}

/** The claims answered (`body`, by default the user) with a session cookie sealed now. */
export async function withSession(
  claims: SessionClaims,
  secrets: SessionSecrets,
  frame: Frame,
  body: unknown = userResponse(claims),
): Promise<Response> {
  const sealed = await sealSession(claims, secrets, frame.nowS)
  return json(body, 200, { 'Set-Cookie': sessionCookie(sealed, frame.url) })
}

/**
 * `POST /api/auth/wechat`: `{ code, state, verifier, silent? }` → the user, and a new session's
 * cookie; a silent code of someone without a stored profile → 422 `profile_required`.
 */
export const handleWechatLogin = defineHandler(['POST'], async (request, frame) => {
  const input = await readLoginRequest(request)
  await requireOwnState(input)
  const config = loadConfig(frame.env.env)
  const { user, token, keepsGrant } = await signInWithCode(input.code, {
    config,
    fetch: frame.env.fetch,
    lang: input.lang,
    ...(input.silent ? { silent: { stores: frame.stores } } : {}),
  })
  // The count, the profile and the tokens are one new event: one write, conflicting with
  // none. A refresh that comes before it lands finds no grant and answers reauth_required,
  // which sends the SPA through a fresh authorization: slower, never wrong.
  frame.bookkeep('user record', async () =>
    recordSignIn(
      frame.stores('users'),
      user,
      new Date(frame.nowMs),
      keepsGrant ? await sealTokens(config.secrets, grantTokens(token, frame.nowMs)) : null,
    ),
  )
  keepAvatarCopy(user, config.avatarOrigin, frame)
  return withSession({ user, sid: newSessionId(), authTime: frame.nowS }, config.secrets, frame)
})

/**
 * `GET /api/session` → the signed-in user, re-issuing the cookie at most hourly so an
 * active user stays signed in; `DELETE /api/session` → signed out: this session ended,
 * tokens forgotten. Both need the session secrets alone.
 */
export const handleSession = defineHandler(['GET', 'DELETE'], async (request, frame) => {
  if (request.method === 'DELETE') return signOut(request, frame)
  const secrets = loadSessionSecrets(frame.env.env)
  const opened = await openedSession(request, secrets, frame)
  // Sessions from before this site kept avatars have none; a rotated secret re-signs it.
  const session = { ...opened, user: await withAvatar(opened.user, secrets) }
  let checked = true
  try {
    if (await isRevoked(frame.stores('sessions'), session)) throw notSignedIn()
  } catch (error) {
    if (error instanceof ApiError) throw error
    // Open in an outage: it shows only the cookie's own profile; a 401 signs everyone out.
    console.error(`[${frame.env.requestId ?? '-'}] session check failed:`, error)
    checked = false
  }
  // An unchecked cookie is answered, never renewed.
  if (!checked || !shouldRotate(session, frame.nowS)) {
    return json(userResponse(session))
  }
  return withSession(session, secrets, frame)
})

/**
 * Always clears the cookie: no setting it does not need, not even a missing secret, stops it.
 * The session is revoked before the answer, so that once it says 204 no copy of the cookie
 * opens it; a copy already revoked forgets nothing of a later sign-in's grant.
 */
async function signOut(request: Request, frame: Frame): Promise<Response> {
  const cleared = { 'Set-Cookie': clearedSessionCookie(frame.url) }
  let session: Session | null = null
  try {
    session = await readSession(request, loadSessionSecrets(frame.env.env), frame)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(
      `[${frame.env.requestId ?? '-'}] misconfigured: set ${error.variable}: ${error.message}`,
    )
  }
  if (!session) return noContent(cleared)
  const { user, sid } = session
  try {
    const store = frame.stores('sessions')
    if (await isRevoked(store, session)) return noContent(cleared)
    await revokeSession(store, user.openid, sid, frame.nowS)
  } catch (cause) {
    const failed = errorResponse(
      new ApiError('internal', 'the session could not be ended', { cause }),
      frame.env.requestId,
    )
    failed.headers.append('Set-Cookie', cleared['Set-Cookie'])
    return failed
  }
  // The WeChat grant is the phone's: a computer signing out leaves it to the phone's 刷新资料.
  if (session.device !== 'computer') {
    frame.bookkeep('token deletion', () => deleteTokens(frame.stores, user.openid, frame.nowMs))
  }
  return noContent(cleared)
}

/**
 * `DELETE /api/sessions` (退出所有设备) → every session of the signed-in user ended, this one
 * included, and their tokens forgotten.
 */
export const handleSessions = defineHandler(['DELETE'], async (request, frame) => {
  const session = await liveSession(request, loadSessionSecrets(frame.env.env), frame)
  const { openid } = session.user
  await revokeAllSessions(frame.stores('sessions'), openid, frame.nowS)
  frame.bookkeep('token deletion', () => deleteTokens(frame.stores, openid, frame.nowMs))
  return noContent({ 'Set-Cookie': clearedSessionCookie(frame.url) })
})

/**
 * `POST /api/session/refresh` → the profile re-read from WeChat with the stored grant; never
 * for a session that was ended or cannot be checked.
 */
export const handleSessionRefresh = defineHandler(['POST'], async (request, frame) => {
  const config = loadConfig(frame.env.env)
  const session = await liveSession(request, config.secrets, frame)
  const user = await refreshProfile(session.user, {
    config,
    fetch: frame.env.fetch,
    stores: frame.stores,
    now: frame.nowMs,
    bookkeep: frame.bookkeep,
  })
  keepAvatarCopy(user, config.avatarOrigin, frame)
  return withSession({ ...session, user }, config.secrets, frame)
})

/** `GET /api/avatar/{key}` → this site's copy of a WeChat avatar (avatars.ts). */
export const handleAvatar = defineHandler(['GET'], (_request, frame) => serveAvatar(frame))

/** Any other `/api/*` path, with any method: the API's error body, never the SPA's page. */
export async function handleNotFound(env: Pick<HandlerEnv, 'requestId'>): Promise<Response> {
  return errorResponse(new ApiError('not_found', 'no such api endpoint'), env.requestId)
}
