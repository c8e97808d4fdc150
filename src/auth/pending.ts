import type { LoginMode } from './login'

/**
 * The login this browser started: the verifier its state was derived from, the state, and
 * where the user was going. Kept in localStorage because in-app browsers can drop
 * sessionStorage (and sometimes cookies) across WeChat's redirect (wechat-behaviour.md §6);
 * a short lifetime and read-once keep it from being replayed.
 */
export interface PendingLogin {
  verifier: string
  state: string
  returnTo: string
  /** Which authorization it asked for, and so what a `profile_required` answer leads to. */
  mode: LoginMode
  expiresAt: number
}

const KEY = 'wx-login:pending'
const MODES: readonly LoginMode[] = ['silent', 'tap', 'consent']
export const PENDING_TTL_MS = 10 * 60 * 1000

export function savePendingLogin(
  storage: Storage,
  login: Pick<PendingLogin, 'verifier' | 'state' | 'returnTo' | 'mode'>,
  now: number,
) {
  const record: PendingLogin = { ...login, expiresAt: now + PENDING_TTL_MS }
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
      typeof record.verifier !== 'string' ||
      typeof record.state !== 'string' ||
      typeof record.returnTo !== 'string' ||
      !MODES.includes(record.mode as LoginMode) ||
      typeof record.expiresAt !== 'number' ||
      record.expiresAt <= now
    ) {
      return null
    }
    const { verifier, state, returnTo, mode, expiresAt } = record
    return { verifier, state, returnTo, mode: mode as LoginMode, expiresAt }
  } catch {
    return null
  }
}
