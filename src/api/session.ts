import type { LoginRequest, SessionUser, UserResponse } from '@contract'
import { failureOf, LoginFailure } from './failure'

/**
 * The two requests a page load makes: the sign-in after WeChat's callback and the
 * session check on a protected page. They go out with `fetch`, not the axios instance in
 * `./index`, because each is on the path to the first screen: the sign-in leaves from the
 * callback page's first small script, before the app's code has arrived, and waiting for
 * axios (about 20 KB gzip, 0.4 s at 400 kbit/s) would hold both back. See docs/bench.md.
 */

/** The function bounds its own WeChat calls well below this; this only catches a dead link. */
export const REQUEST_TIMEOUT_MS = 20_000

async function requestUser(path: string, init: RequestInit): Promise<SessionUser> {
  let response: Response
  let body: unknown
  try {
    response = await fetch(`/api${path}`, {
      ...init,
      credentials: 'same-origin',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    body = await response.json().catch(() => null)
  } catch {
    throw new LoginFailure('network_error')
  }
  if (!response.ok) throw failureOf(response.status, body)
  const user = (body as Partial<UserResponse> | null)?.user
  if (!user) throw new LoginFailure('internal', response.status)
  return user
}

/** Step 3: the business request carrying the code. */
export function postWechatLogin(body: LoginRequest): Promise<SessionUser> {
  return requestUser('/auth/wechat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
}

export function getSession(): Promise<SessionUser> {
  return requestUser('/session', { method: 'GET' })
}
