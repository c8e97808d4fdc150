import { randomBytes } from 'node:crypto'
import type { Store } from '@netlify/blobs'
import type { SessionUser } from '../../contract/index.ts'

/**
 * Each user is a log of events in the `users` store, one blob per event, under
 * `${openid}/${epoch ms, 13 digits}-${kind}-${random}`. Every write makes a new key, so no two
 * writes conflict, on one instance or many, and listing a user's prefix gives their events in
 * time order with their kinds. Nothing is compacted: a user adds one event per sign-in, refresh
 * or sign-out.
 */
export type UserEventKind = 'signin' | 'silent' | 'profile' | 'renewal' | 'forget'

interface EventBodies {
  /** A sign-in: the profile, and the grant it brought (sealed, see tokens.ts). */
  signin: { profile: SessionUser; grant: string }
  /**
   * A silent sign-in (login.ts): the stored profile it signed in with, and no grant. Its
   * snsapi_base token cannot read the profile, so the grant stays the last sign-in's.
   */
  silent: { profile: SessionUser }
  /** A profile re-read by 刷新资料. */
  profile: { profile: SessionUser }
  /** Renewed tokens (sealed) of the grant that the sign-in event `renews` brought. */
  renewal: { grant: string; renews: string }
  /** Sign-out, or WeChat no longer honours the grant: no grant from here on. */
  forget: Record<string, never>
}

/** One person who signed in: what the operator sees. */
export interface UserRecord {
  openid: string
  unionid?: string
  profile: SessionUser
  firstSignInAt: string
  lastSignInAt: string
  signInCount: number
}

/** The user's current grant: sealed tokens, and the key of the sign-in that brought it. */
export interface Grant {
  signIn: string
  sealed: string
}

/** The record with the grant, which only the server reads. */
export interface StoredUser extends UserRecord {
  grant: Grant | null
}

/** WeChat's openids: they must not hold a `/`, which would break listing by prefix. */
const OPENID = /^[A-Za-z0-9_-]+$/
const EVENT_KEY = /^([A-Za-z0-9_-]+)\/(\d{13})-(signin|silent|profile|renewal|forget)-[0-9a-f]+$/

interface EventKey {
  key: string
  openid: string
  at: number
  kind: UserEventKind
}

function parseKey(key: string): EventKey | null {
  const match = EVENT_KEY.exec(key)
  if (!match) return null
  return { key, openid: match[1]!, at: Number(match[2]), kind: match[3] as UserEventKind }
}

async function append<K extends UserEventKind>(
  store: Store,
  openid: string,
  now: Date,
  kind: K,
  body: EventBodies[K],
): Promise<string> {
  if (!OPENID.test(openid)) throw new Error(`openid ${JSON.stringify(openid)} is not a key`)
  const at = String(now.getTime()).padStart(13, '0')
  const key = `${openid}/${at}-${kind}-${randomBytes(8).toString('hex')}`
  // Refused only when the Blobs client resent this very write after it had landed.
  await store.setJSON(key, body, { onlyIfNew: true })
  return key
}

/**
 * Counts a sign-in and keeps its profile and its grant (sealed): one write. A silent sign-in
 * brings no grant (`null`) and leaves the one stored before it in place. Snapshot users never
 * reach this.
 * @returns the key of the event, which a renewal of this grant names.
 */
export function recordSignIn(
  store: Store,
  user: SessionUser,
  now: Date,
  grant: string | null,
): Promise<string> {
  return grant === null
    ? append(store, user.openid, now, 'silent', { profile: user })
    : append(store, user.openid, now, 'signin', { profile: user, grant })
}

/** Keeps a profile re-read without a new sign-in (刷新资料). */
export function recordProfile(store: Store, user: SessionUser, now: Date): Promise<string> {
  return append(store, user.openid, now, 'profile', { profile: user })
}

/**
 * Keeps renewed tokens (sealed) of the grant the sign-in event `signIn` brought. They are
 * the grant only while that sign-in is the newest and no sign-out follows it: a renewal that
 * overlaps a sign-out or a newer sign-in never brings an old grant back.
 */
export function recordRenewal(
  store: Store,
  openid: string,
  signIn: string,
  grant: string,
  now: Date,
): Promise<string> {
  return append(store, openid, now, 'renewal', { grant, renews: signIn })
}

/** Forgets the user's grant (sign-out, grant gone); the rest of the record stays. */
export function recordForget(store: Store, openid: string, now: Date): Promise<string> {
  return append(store, openid, now, 'forget', {})
}

/** Reads event bodies, each at most once. */
function bodyReader(store: Store) {
  const read = new Map<string, Promise<unknown>>()
  return <K extends UserEventKind>(event: EventKey & { kind: K }) => {
    let body = read.get(event.key)
    if (!body) read.set(event.key, (body = store.get(event.key, { type: 'json' })))
    return body as Promise<EventBodies[K] | null>
  }
}

type BodyReader = ReturnType<typeof bodyReader>

const isKind =
  <K extends UserEventKind>(...kinds: K[]) =>
  (event: EventKey): event is EventKey & { kind: K } =>
    (kinds as UserEventKind[]).includes(event.kind)

/** Within one millisecond a sign-out follows the sign-in: forgetting wins a tie. */
const RANK: Record<UserEventKind, number> = {
  signin: 0,
  silent: 0,
  profile: 1,
  renewal: 2,
  forget: 3,
}

/** Oldest first. */
const byTime = (a: EventKey, b: EventKey) =>
  a.at - b.at || RANK[a.kind] - RANK[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

/** The user's events, oldest first. */
async function listEvents(store: Store, openid: string): Promise<EventKey[]> {
  const { blobs } = await store.list({ prefix: `${openid}/` })
  return blobs
    .map(({ key }) => parseKey(key))
    .filter((event): event is EventKey => event?.openid === openid)
    .sort(byTime)
}

/**
 * The grant: the newest sign-in's unless a forget follows it, with the newest renewal that
 * names that sign-in applied. Silent sign-ins bring none and change nothing. A renewal is read
 * only when it may be that one.
 */
async function foldGrant(events: EventKey[], read: BodyReader): Promise<Grant | null> {
  const signIns = events.filter(isKind('signin'))
  const last = signIns.at(-1)
  if (!last) return null
  const after = events.slice(events.indexOf(last) + 1)
  if (after.some(isKind('forget'))) return null
  // Only renewals after the sign-in: a refresh renews a grant it read once the sign-in landed.
  for (const renewal of after.filter(isKind('renewal')).reverse()) {
    const body = await read(renewal)
    if (body?.renews === last.key) return { signIn: last.key, sealed: body.grant }
  }
  const body = await read(last)
  return body ? { signIn: last.key, sealed: body.grant } : null
}

/** The record the events make, or null before the first sign-in. */
async function foldRecord(events: EventKey[], read: BodyReader): Promise<UserRecord | null> {
  const signIns = events.filter(isKind('signin', 'silent'))
  const [first, last] = [signIns[0], signIns.at(-1)]
  if (!first || !last) return null
  const profiles = events.filter(isKind('signin', 'silent', 'profile')).reverse()
  const newest = await read(profiles[0]!)
  if (!newest) return null
  // A unionid once seen is kept: a later snsapi_base sign-in may not carry it.
  let unionid = newest.profile.unionid
  for (const older of profiles.slice(1)) {
    if (unionid) break
    unionid = (await read(older))?.profile.unionid
  }
  return {
    openid: first.openid,
    ...(unionid ? { unionid } : {}),
    profile: newest.profile,
    firstSignInAt: new Date(first.at).toISOString(),
    lastSignInAt: new Date(last.at).toISOString(),
    signInCount: signIns.length,
  }
}

/** The user's grant, or null when there is none: one list and, as a rule, one read. */
export async function readGrant(store: Store, openid: string): Promise<Grant | null> {
  return foldGrant(await listEvents(store, openid), bodyReader(store))
}

/** The user's record with their grant, or null when they never signed in. */
export async function readUser(store: Store, openid: string): Promise<StoredUser | null> {
  const [events, read] = [await listEvents(store, openid), bodyReader(store)]
  const record = await foldRecord(events, read)
  return record && { ...record, grant: await foldGrant(events, read) }
}

/** Every user, most recent sign-in first: the operator's read-only view, without grants. */
export async function listUsers(store: Store): Promise<UserRecord[]> {
  const byUser = new Map<string, EventKey[]>()
  for (const { key } of (await store.list()).blobs) {
    const event = parseKey(key)
    if (!event) continue
    const events = byUser.get(event.openid)
    if (events) events.push(event)
    else byUser.set(event.openid, [event])
  }
  const records = await Promise.all(
    [...byUser.values()].map((events) => foldRecord(events.sort(byTime), bodyReader(store))),
  )
  return records
    .filter((record): record is UserRecord => record !== null)
    .sort((a, b) => b.lastSignInAt.localeCompare(a.lastSignInAt))
}
