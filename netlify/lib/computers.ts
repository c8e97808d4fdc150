import type { Store } from '@netlify/blobs'
import {
  COMPUTER_SESSION_MAX_AGE_S,
  type QrLoginRequester,
  type SessionUser,
  type SignedInComputer,
} from '../../contract/index.ts'
import { isRevoked } from './revocations.ts'

/**
 * Computers signed in through a user's phone, in the `computers` store: one blob per session,
 * `${openid}/${sid}`, written once when the computer collects its session. Whether one is
 * still signed in is not kept here: it ends by expiry or by a revocation of its sid.
 */
type ComputerRecord = Omit<SignedInComputer, 'id'>

const OPENID = /^[A-Za-z0-9_-]+$/
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

function keyOf(openid: string, sid: string): string {
  if (!OPENID.test(openid)) throw new Error(`openid ${JSON.stringify(openid)} is not a key`)
  return `${openid}/${sid}`
}

/** Records the computer that received the session `sid` at `nowS`. */
export async function recordComputer(
  store: Store,
  openid: string,
  sid: string,
  { browser, os, ip }: QrLoginRequester,
  nowS: number,
): Promise<void> {
  const record: ComputerRecord = {
    browser,
    os,
    ip,
    signedInAt: new Date(nowS * 1000).toISOString(),
    expiresAt: new Date((nowS + COMPUTER_SESSION_MAX_AGE_S) * 1000).toISOString(),
  }
  await store.setJSON(keyOf(openid, sid), record, { onlyIfNew: true })
}

/**
 * The user's computers still signed in: not expired, not ended by sign-out, 退出该设备 or
 * 退出所有设备; newest first.
 */
export async function listComputers(
  computers: Store,
  sessions: Store,
  openid: string,
  nowMs: number,
): Promise<SignedInComputer[]> {
  const prefix = keyOf(openid, '')
  const { blobs } = await computers.list({ prefix })
  const found = await Promise.all(
    blobs.map(async ({ key }): Promise<SignedInComputer | null> => {
      const id = key.slice(prefix.length)
      const record = (await computers.get(key, { type: 'json' })) as ComputerRecord | null
      if (!record || Date.parse(record.expiresAt) <= nowMs) return null
      const authTime = Math.floor(Date.parse(record.signedInAt) / 1000)
      // isRevoked reads the user's openid alone.
      const user = { openid } as SessionUser
      if (await isRevoked(sessions, { user, sid: id, authTime })) return null
      return { id, ...record }
    }),
  )
  return found
    .filter((computer) => computer !== null)
    .sort((a, b) => Date.parse(b.signedInAt) - Date.parse(a.signedInAt) || (a.id < b.id ? -1 : 1))
}

/** Whether `id` names a computer this user signed in (live or not). */
export async function isComputerOf(store: Store, openid: string, id: string): Promise<boolean> {
  if (!SESSION_ID.test(id)) return false
  return (await store.getMetadata(keyOf(openid, id))) !== null
}
