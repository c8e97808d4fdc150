import type { Store } from '@netlify/blobs'
import type { Session } from './session.ts'

/**
 * Ended sessions, in the `sessions` store: one blob per revocation, written once under the
 * user's prefix and never overwritten, so revocations from any number of instances never
 * conflict, and one strongly consistent list of the prefix tells whether a session is over.
 *
 * - `${openid}/sid-${sid}`: that session (sign-out);
 * - `${openid}/all-${T}`: every session signed in at or before T, epoch seconds (退出所有设备).
 *
 * Within the second T a sign-in that came after the revocation is ended too: whole seconds
 * cannot order them, and ending one session too many only costs a sign-in.
 */
const OPENID = /^[A-Za-z0-9_-]+$/
const ALL = /^all-(\d{10})$/

function prefixOf(openid: string): string {
  if (!OPENID.test(openid)) throw new Error(`openid ${JSON.stringify(openid)} is not a key`)
  return `${openid}/`
}

async function write(store: Store, key: string, nowS: number): Promise<void> {
  // Refused only when the same revocation is there already: nothing to add.
  await store.setJSON(key, { at: new Date(nowS * 1000).toISOString() }, { onlyIfNew: true })
}

/** Ends one session: no copy of its cookie opens it again. */
export function revokeSession(
  store: Store,
  openid: string,
  sid: string,
  nowS: number,
): Promise<void> {
  return write(store, `${prefixOf(openid)}sid-${sid}`, nowS)
}

/** Ends every session of the user signed in at or before `nowS`; later sign-ins stand. */
export function revokeAllSessions(store: Store, openid: string, nowS: number): Promise<void> {
  return write(store, `${prefixOf(openid)}all-${String(nowS).padStart(10, '0')}`, nowS)
}

/** Whether the session was ended: one list of the user's revocations, no read. */
export async function isRevoked(
  store: Store,
  { user, sid, authTime }: Pick<Session, 'user' | 'sid' | 'authTime'>,
): Promise<boolean> {
  const prefix = prefixOf(user.openid)
  const { blobs } = await store.list({ prefix })
  return blobs.some(({ key }) => {
    const name = key.slice(prefix.length)
    if (name === `sid-${sid}`) return true
    const all = ALL.exec(name)
    return all !== null && authTime <= Number(all[1])
  })
}
