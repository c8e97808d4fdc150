/**
 * Whether a session cookie is believed to exist. The cookie itself is HttpOnly, so without
 * this hint every visit to a protected page would ask the API first: an extra round trip
 * before the redirect to WeChat. The server stays the judge (GET /api/session).
 */
const KEY = 'wx-login:signed-in'

export function mayBeSignedIn(storage: Storage): boolean {
  return storage.getItem(KEY) === '1'
}

export function rememberSignedIn(storage: Storage): void {
  storage.setItem(KEY, '1')
}

export function forgetSignedIn(storage: Storage): void {
  storage.removeItem(KEY)
}
