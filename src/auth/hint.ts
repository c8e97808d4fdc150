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

/**
 * Whether this phone has signed a computer in (by scanning), so the profile lists computers:
 * without it every profile view would fetch that list and its code, for the many who never
 * scanned. The list itself clears it when it comes back empty.
 */
const COMPUTERS_KEY = 'wx-login:computers'

export function mayHaveComputers(storage: Storage): boolean {
  return storage.getItem(COMPUTERS_KEY) === '1'
}

export function rememberComputers(storage: Storage, present: boolean): void {
  if (present) storage.setItem(COMPUTERS_KEY, '1')
  else storage.removeItem(COMPUTERS_KEY)
}
