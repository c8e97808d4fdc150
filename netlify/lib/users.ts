import type { Store } from '@netlify/blobs'
import type { SessionUser } from '../../src/contract.ts'

/** One person who signed in, keyed by openid in the `users` store. */
export interface UserRecord {
  openid: string
  unionid?: string
  profile: SessionUser
  firstSignInAt: string
  lastSignInAt: string
  signInCount: number
}

/** Bound on compare-and-swap retries: contention on one user is a handful of tabs at most. */
const MAX_ATTEMPTS = 8

/**
 * A record and the ETag of exactly that version. Netlify's API sends the ETag with the
 * read; the local Blobs server (`netlify dev`, tests) does not, but lists it, so there the
 * ETag is taken first and the data after: a write based on it can then only be refused
 * (and retried), never land on a newer version.
 */
async function readVersioned(
  store: Store,
  key: string,
): Promise<{ data: UserRecord; etag: string | undefined } | null> {
  const read = await store.getWithMetadata(key, { type: 'json', consistency: 'strong' })
  if (!read || read.etag) return read && { data: read.data as UserRecord, etag: read.etag }
  const { blobs } = await store.list({ prefix: key })
  const etag = blobs.find((blob) => blob.key === key)?.etag
  const data = (await store.get(key, { type: 'json', consistency: 'strong' })) as UserRecord | null
  return data && { data, etag }
}

/**
 * Applies `change` to a user's record with Blobs' conditional writes: a write only lands
 * on the version it read (ETag) or, for a new user, only if no one created it first.
 * Two sign-ins at once therefore both count instead of one overwriting the other.
 */
function upsert(
  store: Store,
  openid: string,
  change: (current: UserRecord | null) => UserRecord,
): Promise<UserRecord> {
  // Within one instance, writes to one user also queue up: the local Blobs server checks
  // its conditions without locking, so only this keeps `netlify dev` free of lost updates.
  const previous = queues.get(openid) ?? Promise.resolve()
  const next = previous.then(
    () => compareAndSwap(store, openid, change),
    () => compareAndSwap(store, openid, change),
  )
  const settled = next.catch(() => undefined)
  queues.set(openid, settled)
  void settled.then(() => {
    if (queues.get(openid) === settled) queues.delete(openid)
  })
  return next
}

const queues = new Map<string, Promise<unknown>>()

async function compareAndSwap(
  store: Store,
  openid: string,
  change: (current: UserRecord | null) => UserRecord,
): Promise<UserRecord> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readVersioned(store, openid)
    const next = change(current?.data ?? null)
    const written = current
      ? await store.setJSON(openid, next, { onlyIfMatch: current.etag ?? '"missing"' })
      : await store.setJSON(openid, next, { onlyIfNew: true })
    if (written.modified) return next
  }
  throw new Error(`user record ${openid} changed ${MAX_ATTEMPTS} times while being updated`)
}

/** The record with `user` as the latest profile; a unionid once seen is kept. */
function withProfile(current: UserRecord | null, user: SessionUser, at: string) {
  const unionid = user.unionid ?? current?.unionid
  return {
    openid: user.openid,
    ...(unionid ? { unionid } : {}),
    profile: user,
    firstSignInAt: current?.firstSignInAt ?? at,
  }
}

/** Counts a sign-in and keeps the latest profile. Snapshot users never reach this. */
export function recordSignIn(store: Store, user: SessionUser, now: Date): Promise<UserRecord> {
  const at = now.toISOString()
  return upsert(store, user.openid, (current) => ({
    ...withProfile(current, user, at),
    lastSignInAt: at,
    signInCount: (current?.signInCount ?? 0) + 1,
  }))
}

/** Keeps a profile re-read without a new sign-in (refresh). */
export function recordProfile(store: Store, user: SessionUser, now: Date): Promise<UserRecord> {
  const at = now.toISOString()
  return upsert(store, user.openid, (current) => ({
    ...withProfile(current, user, at),
    lastSignInAt: current?.lastSignInAt ?? at,
    signInCount: current?.signInCount ?? 0,
  }))
}

/** Every user, most recent sign-in first: the operator's read-only view. */
export async function listUsers(store: Store): Promise<UserRecord[]> {
  const { blobs } = await store.list()
  const records = await Promise.all(
    blobs.map(
      ({ key }) =>
        store.get(key, { type: 'json', consistency: 'strong' }) as Promise<UserRecord | null>,
    ),
  )
  return records
    .filter((record): record is UserRecord => record !== null)
    .sort((a, b) => b.lastSignInAt.localeCompare(a.lastSignInAt))
}
