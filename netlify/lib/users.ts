import type { Store } from '@netlify/blobs'
import type { SessionUser } from '../../contract/index.ts'

/** One person who signed in, keyed by openid in the `users` store: what the operator sees. */
export interface UserRecord {
  openid: string
  unionid?: string
  profile: SessionUser
  firstSignInAt: string
  lastSignInAt: string
  signInCount: number
}

/**
 * The record as stored: with the user's WeChat tokens, sealed (see tokens.ts), so that a
 * sign-in is one conditional write. `null` once they are forgotten (sign-out, grant gone).
 */
export interface StoredUser extends UserRecord {
  tokens: string | null
}

/** Bound on compare-and-swap retries: contention on one user is a handful of tabs at most. */
const MAX_ATTEMPTS = 8

/** The record after a change; `current` itself when the change leaves it as it is. */
type Change = (current: StoredUser | null) => StoredUser | null

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
): Promise<{ data: StoredUser; etag: string } | null> {
  if (!readsLackEtag) {
    const read = await store.getWithMetadata(key, { type: 'json', consistency: 'strong' })
    if (!read) return null
    if (read.etag) return { data: read.data as StoredUser, etag: read.etag }
    readsLackEtag = true
  }
  const { blobs } = await store.list({ prefix: key })
  const etag = blobs.find((blob) => blob.key === key)?.etag
  // Not there when listed: a record made since is caught by the write's onlyIfNew.
  if (!etag) return null
  const data = (await store.get(key, { type: 'json', consistency: 'strong' })) as StoredUser | null
  return data && { data, etag }
}

interface Waiting {
  change: Change
  resolve: (record: StoredUser | null) => void
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
function upsert(store: Store, openid: string, change: Change): Promise<StoredUser | null> {
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
      batch.forEach((w, i) => w.resolve(records[i] ?? null))
    } catch (error) {
      for (const w of batch) w.reject(error)
    }
  }
  lines.delete(openid)
}

/**
 * Applies `changes` in order in one conditional write, or none when they leave the record as
 * it was read; the record after each.
 */
async function compareAndSwap(
  store: Store,
  openid: string,
  changes: Change[],
): Promise<(StoredUser | null)[]> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readVersioned(store, openid)
    const records: (StoredUser | null)[] = []
    let next = current?.data ?? null
    for (const change of changes) records.push((next = change(next)))
    if (next === (current?.data ?? null)) return records
    const written = current
      ? await store.setJSON(openid, next, { onlyIfMatch: current.etag })
      : await store.setJSON(openid, next, { onlyIfNew: true })
    if (written.modified) return records
  }
  throw new Error(`user record ${openid} changed ${MAX_ATTEMPTS} times while being updated`)
}

/** The record with `user` as the latest profile; a unionid and the tokens are kept. */
function withProfile(current: StoredUser | null, user: SessionUser, at: string) {
  const unionid = user.unionid ?? current?.unionid
  return {
    openid: user.openid,
    ...(unionid ? { unionid } : {}),
    profile: user,
    firstSignInAt: current?.firstSignInAt ?? at,
    tokens: current?.tokens ?? null,
  }
}

/**
 * Counts a sign-in, keeps the latest profile and the sign-in's tokens (sealed), all in one
 * write. Snapshot users never reach this.
 */
export async function recordSignIn(
  store: Store,
  user: SessionUser,
  now: Date,
  tokens: string,
): Promise<StoredUser> {
  const at = now.toISOString()
  const record = await upsert(store, user.openid, (current) => ({
    ...withProfile(current, user, at),
    lastSignInAt: at,
    signInCount: (current?.signInCount ?? 0) + 1,
    tokens,
  }))
  return record!
}

/** Keeps a profile re-read without a new sign-in (refresh). */
export async function recordProfile(
  store: Store,
  user: SessionUser,
  now: Date,
): Promise<StoredUser> {
  const at = now.toISOString()
  const record = await upsert(store, user.openid, (current) => ({
    ...withProfile(current, user, at),
    lastSignInAt: current?.lastSignInAt ?? at,
    signInCount: current?.signInCount ?? 0,
  }))
  return record!
}

/**
 * Keeps renewed tokens (sealed) in the user's record. Not once they were forgotten: a refresh
 * that overlaps a sign-out must not bring them back. Without a record (its sign-in's write
 * failed) nothing is written: the refresh_token the tokens were renewed with still renews.
 */
export function recordTokens(
  store: Store,
  openid: string,
  tokens: string,
): Promise<StoredUser | null> {
  return upsert(store, openid, (current) =>
    current && current.tokens !== null ? { ...current, tokens } : current,
  )
}

/** Forgets the user's tokens (sign-out, grant gone); the rest of the record stays. */
export function forgetTokens(store: Store, openid: string): Promise<StoredUser | null> {
  return upsert(store, openid, (current) =>
    current && current.tokens !== null ? { ...current, tokens: null } : current,
  )
}

/** The user's record as stored, tokens included, or null. */
export async function readUser(store: Store, openid: string): Promise<StoredUser | null> {
  return (await store.get(openid, { type: 'json', consistency: 'strong' })) as StoredUser | null
}

/** Every user, most recent sign-in first: the operator's read-only view, without tokens. */
export async function listUsers(store: Store): Promise<UserRecord[]> {
  const { blobs } = await store.list()
  const records = await Promise.all(blobs.map(({ key }) => readUser(store, key)))
  return records
    .filter((record): record is StoredUser => record !== null)
    .map(({ tokens: _sealed, ...record }) => record)
    .sort((a, b) => b.lastSignInAt.localeCompare(a.lastSignInAt))
}
