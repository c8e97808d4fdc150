import { LoginFailure } from '@/api/failure'
import { postWechatLogin } from '@/api/session'
import type { LoginErrorCode, SessionUser } from '@contract'
import { initialLocale, WECHAT_LANG_OF } from '@/locales/detect'
import { CALLBACK_PATH, readCallbackParams, type CallbackParams } from './callback'
import { takePendingLogin, type PendingLogin } from './pending'

/**
 * The callback page's first act, before the app's code has arrived: it checks WeChat's
 * callback against the login this browser started and, when they match, sends the code at
 * once. On a slow link that request then travels while the app downloads, instead of
 * after it. The session store takes the result (`takeArrival`) and does the rest; the
 * checks here are exactly its own, so the two never disagree about a callback.
 */
export interface Arrival {
  params: CallbackParams
  /** The pending login, already taken (read-once), or null when there was none. */
  pending: PendingLogin | null
  /** The sign-in in flight, when code and state passed; null otherwise. */
  login: Promise<SessionUser> | null
}

/** How the early sign-in ended, as plain data (see `Found`). */
export type LoginOutcome =
  { ok: true; user: SessionUser } | { ok: false; code: LoginErrorCode; status?: number }

/**
 * What waits for the app. In a build this module runs twice, bundled into the callback
 * page's first script and into the app (scripts/callback-page.ts): the two copies meet in
 * a registered symbol on the global object, not in a module variable, and pass only plain
 * data, since each copy has its own LoginFailure class and `instanceof` fails across them.
 */
export interface Found {
  params: CallbackParams
  pending: PendingLogin | null
  outcome: Promise<LoginOutcome> | null
  /** Set once the early sign-in has answered with a user. */
  signedIn?: true
}
const SLOT = Symbol.for('wechat-login:arrival')
type Slot = { [SLOT]?: Found }

function settle(login: Promise<SessionUser>): Promise<LoginOutcome> {
  return login.then(
    (user) => ({ ok: true, user }),
    (error: unknown) =>
      error instanceof LoginFailure
        ? { ok: false, code: error.code, status: error.status }
        : { ok: false, code: 'internal' },
  )
}

/**
 * Checks the callback and sends the code; returns what it found (null on any other page),
 * so that the page can show the answer before the app has arrived (auth/early-profile.ts).
 */
export function startArrival(
  location: Pick<Location, 'pathname' | 'search'>,
  storage: Storage,
  languages: readonly string[],
  now: number,
): Readonly<Found> | null {
  if (location.pathname !== CALLBACK_PATH) return null
  const params = readCallbackParams(location.search)
  if (!params) return null
  const pending = takePendingLogin(storage, now)
  const found: Found = { params, pending, outcome: null }
  if (params.code && params.state && pending?.state === params.state) {
    const lang = WECHAT_LANG_OF[initialLocale(storage, languages)]
    found.outcome = settle(postWechatLogin({ code: params.code, state: params.state, lang })).then(
      (outcome) => {
        if (outcome.ok) found.signedIn = true
        return outcome
      },
    )
  }
  ;(globalThis as Slot)[SLOT] = found
  return found
}

/**
 * Whether the early sign-in has already answered with a user, without taking it: the
 * router then goes straight to the destination, past the 正在登录… page.
 */
export function arrivalSignedIn(): boolean {
  return (globalThis as Slot)[SLOT]?.signedIn === true
}

/** What the callback page found on arrival, once; null on any other page or later. */
export function takeArrival(): Arrival | null {
  const slot = globalThis as Slot
  const found = slot[SLOT]
  delete slot[SLOT]
  if (!found) return null
  const { params, pending, outcome } = found
  const login = outcome?.then((result) => {
    if (result.ok) return result.user
    throw new LoginFailure(result.code, result.status)
  })
  return { params, pending, login: login ?? null }
}
