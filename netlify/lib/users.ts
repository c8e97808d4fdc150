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

type Change = (current: UserRecord | null) => UserRecord

/**
 * Whether this process's Blobs answer reads without an ETag: Netlify's API sends one, the
 * local Blobs server (`netlify dev`, tests) does not. Learnt from the first record read that
 * lacks one; from then on records are read the way that server allows, and no read is
 * spent asking. A process talks to one Blobs, and the way learnt is correct on both.
 */
let readsLackEtag = false

/**
 * A record and the ETag of exactly that version. Where reads carry no ETag, the ETag is
 * listed first and the data read after: a write based on it can then only be refused (and
 * retried), never land on a newer version.
 */
async function readVersioned(
  store: Store,
  key: string,
): Promise<{ data: UserRecord; etag: string } | null> {
  if (!readsLackEtag) {
    const read = await store.getWithMetadata(key, { type: 'json', consistency: 'strong' })
    if (!read) return null
    if (read.etag) return { data: read.data as UserRecord, etag: read.etag }
    readsLackEtag = true
  }
  const { blobs } = await store.list({ prefix: key })
  const etag = blobs.find((blob) => blob.key === key)?.etag
  // Not there when listed: a record made since is caught by the write's onlyIfNew.
  if (!etag) return null
  const data = (await store.get(key, { type: 'json', consistency: 'strong' })) as UserRecord | null
  return data && { data, etag }
}

interface Waiting {
  change: Change
  resolve: (record: UserRecord) => void
  reject: (error: unknown) => void
}

/** Changes to one user's record waiting in this instance, and whether a write is under way. */
const lines = new Map<string, { waiting: Waiting[]; busy: boolean }>()

/**
 * Applies `change` to a user's record with Blobs' conditional writes: a write only lands
 * on the version it read (ETag) or, for a new user, only if no one created it first.
 * Two sign-ins at once therefore both count instead of one overwriting the other.
 * Resolves to the record as this change left it.
 */
function upsert(store: Store, openid: string, change: Change): Promise<UserRecord> {
  return new Promise((resolve, reject) => {
    // Within one instance, changes to one user also queue up: the local Blobs server checks
    // its conditions without locking, so only this keeps `netlify dev` free of lost updates.
    // Those that queued while a write was under way go together in the next one.
    let line = lines.get(openid)
    if (!line) lines.set(openid, (line = { waiting: [], busy: false }))
    line.waiting.push({ change, resolve, reject })
    if (!line.busy) void drain(store, openid, line)
  })
}

async function drain(store: Store, openid: string, line: { waiting: Waiting[]; busy: boolean }) {
  line.busy = true
  while (line.waiting.length > 0) {
    const batch = line.waiting.splice(0)
    try {
      const records = await compareAndSwap(
        store,
        openid,
        batch.map((w) => w.change),
      )
      batch.forEach((w, i) => w.resolve(records[i]!))
    } catch (error) {
      for (const w of batch) w.reject(error)
    }
  }
  lines.delete(openid)
}

/** Applies `changes` in order in one conditional write; the record after each. */
async function compareAndSwap(
  store: Store,
  openid: string,
  changes: Change[],
): Promise<UserRecord[]> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readVersioned(store, openid)
    const records: UserRecord[] = []
    let next = current?.data ?? null
    for (const change of changes) records.push((next = change(next)))
    const written = current
      ? await store.setJSON(openid, next, { onlyIfMatch: current.etag })
      : await store.setJSON(openid, next, { onlyIfNew: true })
    if (written.modified) return records
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
