/**
 * The budget for automatic re-authorization: at most one per user action. Kept in
 * localStorage with a time, so a reload of the sign-in page cannot start a loop.
 */
const KEY = 'wx-login:auto-retry'
export const AUTO_RETRY_WINDOW_MS = 10 * 60 * 1000

export function mayRetryAutomatically(storage: Storage, now: number): boolean {
  const at = Number(storage.getItem(KEY))
  return !(at > 0 && now - at < AUTO_RETRY_WINDOW_MS)
}

export function noteAutomaticRetry(storage: Storage, now: number): void {
  storage.setItem(KEY, String(now))
}

/** A user action (a tap on 登录 or 重新登录) or a successful sign-in restores the budget. */
export function resetAutomaticRetry(storage: Storage): void {
  storage.removeItem(KEY)
}
