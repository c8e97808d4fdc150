/**
 * The login this browser started: its state and where the user was going. Kept in
 * localStorage because in-app browsers can drop sessionStorage across WeChat's redirect;
 * a short lifetime and read-once keep it from being replayed.
 */
export interface PendingLogin {
  state: string
  returnTo: string
  expiresAt: number
}

const KEY = 'wx-login:pending'
export const PENDING_TTL_MS = 10 * 60 * 1000

export function savePendingLogin(storage: Storage, state: string, returnTo: string, now: number) {
  const record: PendingLogin = { state, returnTo, expiresAt: now + PENDING_TTL_MS }
  storage.setItem(KEY, JSON.stringify(record))
}

/** The pending login, removed as it is read; null when absent, expired or corrupt. */
export function takePendingLogin(storage: Storage, now: number): PendingLogin | null {
  const raw = storage.getItem(KEY)
  storage.removeItem(KEY)
  if (!raw) return null
  try {
    const record = JSON.parse(raw) as Partial<PendingLogin>
    if (
      typeof record.state !== 'string' ||
      typeof record.returnTo !== 'string' ||
      typeof record.expiresAt !== 'number' ||
      record.expiresAt <= now
    ) {
      return null
    }
    return { state: record.state, returnTo: record.returnTo, expiresAt: record.expiresAt }
  } catch {
    return null
  }
}
