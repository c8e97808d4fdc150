import { createHash, randomUUID } from 'node:crypto'
import type { Store } from '@netlify/blobs'
import { CompactEncrypt, compactDecrypt } from 'jose'
import type { ServerConfig } from './config.ts'
import { JWE_ALGORITHMS, JWE_HEADER, openWithAny, sealingKey } from './keys.ts'
import type { StoreFactory } from './stores.ts'
import {
  fetchJsapiTicket,
  fetchStableToken,
  WechatError,
  type AccountToken,
  type JsapiTicket,
  type WechatClientOptions,
} from './wechat.ts'

/**
 * The Official Account's global access_token and its jsapi_ticket: one of each for the whole
 * site, however many instances run. Each is kept three ways:
 *
 * - in this instance's memory, keyed by appid and API base, while it is fresh;
 * - in the `account` store under `${appid}/${hash of the API base}/token` (and `/ticket`),
 *   sealed like the users' tokens, read with strong consistency;
 * - at WeChat, asked for only by the one instance that holds the slot's claim, written with
 *   `onlyIfNew` or `onlyIfMatch` on the ETag it read, so that the others wait for its answer
 *   instead of asking too.
 *
 * Both are asked for again `REFRESH_AHEAD_MS` before they expire; meanwhile the one in hand
 * still serves. The token comes from `/cgi-bin/stable_token` in normal mode, never from
 * `/cgi-bin/token`, whose every call kills the previous token.
 * @see wechat-behaviour.md §8
 */

export interface AccountDeps {
  config: Pick<ServerConfig, 'appId' | 'appSecret' | 'apiBase' | 'timeoutMs' | 'secrets'>
  stores: StoreFactory
  fetch?: typeof fetch
  /** Epoch ms, for expiries and claims; Date.now when absent. */
  now?: () => number
  /** Waits between polls and before retrying -1; setTimeout when absent. */
  sleep?: (ms: number) => Promise<void>
  requestId?: string
}

/** How long before expiry a token or ticket is asked for again. */
export const REFRESH_AHEAD_MS = 5 * 60_000
/** Bound on all WeChat calls of one request: under the 10 s a synchronous function may run. */
export const ACCOUNT_BUDGET_MS = 8000
/** A claim outlives its holder's budget, so it is never taken over while WeChat may answer. */
export const CLAIM_MS = ACCOUNT_BUDGET_MS + 2000
/** How often an instance waiting for another's answer reads the store again. */
export const POLL_MS = 50
/**
 * The local Blobs server checks a condition and writes without a lock, so claims racing on one
 * version can all be accepted and the last written stands; waiting this long lets every racing
 * write land before the claimant reads which one did.
 */
export const SETTLE_MS = 50
/** WeChat's -1 (busy) gets one more try after this. */
export const BUSY_RETRY_MS = 200
/** `force_refresh: true` is allowed 20 times a (Beijing) day, 30 s apart. */
export const FORCE_PER_DAY = 20
export const FORCE_GAP_MS = 30_000

/** Errcodes of a call made with an access_token that is no longer good. */
const REJECTED_TOKEN = new Set([40001, 40014, 42001])

type Kind = 'token' | 'ticket'

/** A secret WeChat value as kept in the store: sealed, with an id to compare it by. */
interface Kept {
  sealed: string
  /** The value's SHA-256, 16 hex digits: compared without opening it, and never secret. */
  id: string
  expiresAt: number
  /** When it is asked for again; it still serves until `expiresAt`. */
  refreshAt: number
}

interface KeptTicket extends Kept {
  /** The token it was fetched with. */
  tokenId: string
  /** Its expiry as WeChat first stated it: fetching the same ticket again never moves it. */
  seenExpiresAt: number
}

type Held<K extends Kept> = K & { value: string }

interface Claim {
  id: string
  until: number
}

/** One blob of the `account` store. */
interface Slot<K extends Kept> {
  kept?: K
  /** Another instance is asking WeChat for the next value. */
  claim?: Claim
}

interface Obtained<K extends Kept> {
  held: Held<K>
  /** Asked of WeChat in this call, rather than found kept. */
  fetched: boolean
}

/** What this instance holds, per appid and API base. */
interface Memory {
  token?: Held<Kept>
  ticket?: Held<KeptTicket>
  /** The one ticket lookup under way here, which every concurrent request shares. */
  ticketLookup?: Promise<Held<KeptTicket>>
}

const memories = new Map<string, Memory>()

/** A Blobs failure, as opposed to WeChat's: the store is skipped, not the request failed. */
class BlobsUnavailable extends Error {
  constructor(cause: unknown) {
    super('blobs unavailable', { cause })
    this.name = 'BlobsUnavailable'
  }
}

const idOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16)

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)

function parseKept(value: unknown): Kept | undefined {
  const kept = value as Partial<Kept> | null | undefined
  if (typeof kept !== 'object' || kept === null) return undefined
  const { sealed, id, expiresAt, refreshAt } = kept
  if (typeof sealed !== 'string' || typeof id !== 'string') return undefined
  if (!isNumber(expiresAt) || !isNumber(refreshAt)) return undefined
  return kept as Kept
}

function parseTicket(value: unknown): KeptTicket | undefined {
  const kept = parseKept(value) as Partial<KeptTicket> | undefined
  if (typeof kept?.tokenId !== 'string' || !isNumber(kept.seenExpiresAt)) return undefined
  return kept as KeptTicket
}

function parseSlot<K extends Kept>(data: unknown, parse: (kept: unknown) => K | undefined) {
  const { kept, claim } = (typeof data === 'object' && data !== null ? data : {}) as Slot<K>
  const slot: Slot<K> = {}
  const parsed = parse(kept)
  if (parsed) slot.kept = parsed
  if (typeof claim?.id === 'string' && isNumber(claim.until)) slot.claim = claim
  return slot
}

/** Asked for again ahead of expiry, unless WeChat answered what expires sooner than that. */
function refreshAtFor(expiresAt: number, now: number): number {
  const ahead = expiresAt - REFRESH_AHEAD_MS
  return ahead > now ? ahead : expiresAt
}

/** WeChat's day, for the force_refresh quota: midnight in Beijing (UTC+8). */
const beijingDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10)

const stripped = <K extends Kept>({ value: _value, ...kept }: Held<K>): K => kept as unknown as K

/** A blob and the ETag of exactly that version, or null when there is none. */
async function readVersioned(
  store: Store,
  key: string,
): Promise<{ data: unknown; etag: string } | null> {
  const read = await store.getWithMetadata(key, { type: 'json' })
  if (!read) return null
  if (read.etag) return { data: read.data, etag: read.etag }
  // The local Blobs server answers reads without an ETag. Listing it first and reading after
  // means a write based on it can only be refused, never land on a newer version.
  const { blobs } = await store.list({ prefix: key })
  const etag = blobs.find((blob) => blob.key === key)?.etag
  if (!etag) return null
  const data: unknown = await store.get(key, { type: 'json' })
  return data === null ? null : { data, etag }
}

/** Writes only over the version read (`etag`), or only a new blob without one. */
async function writeIf(store: Store, key: string, data: unknown, etag?: string) {
  const written = etag
    ? await store.setJSON(key, data, { onlyIfMatch: etag })
    : await store.setJSON(key, data, { onlyIfNew: true })
  return written.modified
}

/** What one request works with. */
class Account {
  readonly now: () => number
  readonly sleep: (ms: number) => Promise<void>
  readonly client: WechatClientOptions
  readonly memory: Memory
  private readonly scope: string
  private blobs?: Store

  constructor(readonly deps: AccountDeps) {
    const { config } = deps
    this.now = deps.now ?? Date.now
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.client = { ...config, fetch: deps.fetch, deadline: Date.now() + ACCOUNT_BUDGET_MS }
    const appId = /^[A-Za-z0-9_-]{1,64}$/.test(config.appId) ? config.appId : idOf(config.appId)
    this.scope = `${appId}/${idOf(config.apiBase)}`
    const memoryKey = `${config.appId} ${config.apiBase}`
    let memory = memories.get(memoryKey)
    if (!memory) memories.set(memoryKey, (memory = {}))
    this.memory = memory
  }

  /** Runs a Blobs operation; a failure becomes BlobsUnavailable. */
  async store<T>(operation: (store: Store) => Promise<T>): Promise<T> {
    try {
      this.blobs ??= this.deps.stores('account')
      return await operation(this.blobs)
    } catch (error) {
      throw new BlobsUnavailable(error)
    }
  }

  key(name: Kind | 'force'): string {
    return `${this.scope}/${name}`
  }

  log(message: string, cause?: unknown): void {
    console.error(`[${this.deps.requestId ?? '-'}] ${message}`, ...(cause ? [cause] : []))
  }

  async seal(kind: Kind, value: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ kind, value })))
      .setProtectedHeader(JWE_HEADER)
      .encrypt(await sealingKey(this.deps.config.secrets, 'tokens'))
  }

  /** The kept value opened, or null when no secret opens it or it is not what it says. */
  async open<K extends Kept>(kind: Kind, kept: K | undefined): Promise<Held<K> | null> {
    if (!kept) return null
    const opened = await openWithAny(this.deps.config.secrets, 'tokens', async (key) => {
      const { plaintext } = await compactDecrypt(kept.sealed, key, JWE_ALGORITHMS)
      return JSON.parse(new TextDecoder().decode(plaintext)) as { kind?: unknown; value?: unknown }
    })
    const value = opened?.value.value
    if (opened?.value.kind !== kind || typeof value !== 'string' || idOf(value) !== kept.id) {
      return null
    }
    return { ...kept, value }
  }

  /** WeChat's -1 gets one more try, a moment later; nothing else is retried here. */
  async unlessBusy<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (!(error instanceof WechatError && error.errcode === -1)) throw error
      await this.sleep(BUSY_RETRY_MS)
      return call()
    }
  }
}

/** Failures of a refresh this instance answered with the value still in hand, logged once. */
const loggedFallbacks = new Set<string>()

/** One shared value in the `account` store. */
class SharedSlot<K extends Kept> {
  constructor(
    private readonly account: Account,
    private readonly kind: Kind,
    private readonly parse: (kept: unknown) => K | undefined,
  ) {}

  private get key() {
    return this.account.key(this.kind)
  }

  private async read(): Promise<{ slot: Slot<K>; etag: string } | null> {
    const read = await this.account.store((store) => readVersioned(store, this.key))
    return read && { slot: parseSlot(read.data, this.parse), etag: read.etag }
  }

  /**
   * The value: kept and fresh, or asked of WeChat by `fetchNew` under this instance's claim,
   * or another instance's answer waited for. `refuse` names a value WeChat has just refused.
   * Without Blobs, `known` (this instance's) is what `fetchNew` is told was there.
   */
  async obtain(
    fetchNew: (current: Held<K> | null) => Promise<Held<K>>,
    { refuse, known }: { refuse?: string; known?: Held<K> } = {},
  ): Promise<Obtained<K>> {
    try {
      return await this.obtainShared(fetchNew, refuse)
    } catch (error) {
      if (!(error instanceof BlobsUnavailable)) throw error
      this.account.log(
        `account ${this.kind}: blobs unavailable, asking wechat directly:`,
        error.cause,
      )
      const current = known && known.id !== refuse ? known : null
      return { held: await fetchNew(current), fetched: true }
    }
  }

  private async obtainShared(
    fetchNew: (current: Held<K> | null) => Promise<Held<K>>,
    refuse: string | undefined,
  ): Promise<Obtained<K>> {
    const { account } = this
    for (;;) {
      if (Date.now() >= (account.client.deadline ?? Infinity)) {
        throw new WechatError('timeout', this.endpoint, `no ${this.kind} within the budget`)
      }
      const read = await this.read()
      const now = account.now()
      const opened = await account.open(this.kind, read?.slot.kept)
      const current = opened && opened.id !== refuse ? opened : null
      if (current && now < current.refreshAt) return { held: current, fetched: false }
      const claim = read?.slot.claim
      if (claim && now < claim.until) {
        // Another instance is asking WeChat; the value in hand serves while it lives.
        if (current && now < current.expiresAt) return { held: current, fetched: false }
        await account.sleep(POLL_MS)
        continue
      }
      const mine = await this.claim(read, current)
      if (mine) return this.fetchUnderClaim(mine, current, fetchNew)
    }
  }

  private get endpoint() {
    return this.kind === 'token' ? 'stable_token' : 'getticket'
  }

  /** Claims the slot over the version read; null when another instance's claim stands. */
  private async claim(
    read: { slot: Slot<K>; etag: string } | null,
    current: Held<K> | null,
  ): Promise<Claim | null> {
    const claim: Claim = { id: randomUUID(), until: this.account.now() + CLAIM_MS }
    const slot: Slot<K> = { ...(current && { kept: stripped(current) }), claim }
    const written = await this.account.store((store) => writeIf(store, this.key, slot, read?.etag))
    if (!written) return null
    await this.account.sleep(SETTLE_MS)
    const after = await this.read()
    return after?.slot.claim?.id === claim.id ? claim : null
  }

  private async fetchUnderClaim(
    claim: Claim,
    current: Held<K> | null,
    fetchNew: (current: Held<K> | null) => Promise<Held<K>>,
  ): Promise<Obtained<K>> {
    let fresh: Held<K>
    try {
      fresh = await fetchNew(current)
    } catch (error) {
      await this.release(claim, current && stripped(current))
      if (!current || this.account.now() >= current.expiresAt) throw error
      // Asked ahead of time: the one in hand still lives, and the next request asks again.
      const cause = error instanceof WechatError ? `${error.kind} ${error.errcode ?? ''}` : 'error'
      if (!loggedFallbacks.has(`${this.kind} ${cause}`)) {
        loggedFallbacks.add(`${this.kind} ${cause}`)
        this.account.log(`account ${this.kind} not renewed, the current one serves:`, error)
      }
      return { held: current, fetched: false }
    }
    await this.release(claim, stripped(fresh))
    return { held: fresh, fetched: true }
  }

  /** Ends this instance's claim, keeping `kept`, unless another instance has taken it over. */
  private async release(claim: Claim, kept: K | null): Promise<void> {
    try {
      const read = await this.read()
      if (read?.slot.claim?.id !== claim.id) return
      const slot: Slot<K> = kept ? { kept } : {}
      await this.account.store((store) => writeIf(store, this.key, slot, read.etag))
    } catch (error) {
      // The value is in hand; others take the claim over once it lapses.
      this.account.log(`account ${this.kind} could not be kept:`, error)
    }
  }

  /** Forgets the value `id`, only if it is still the one kept: compare, then delete. */
  async drop(id: string): Promise<void> {
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const read = await this.read()
        if (read?.slot.kept?.id !== id) return
        const slot: Slot<K> = read.slot.claim ? { claim: read.slot.claim } : {}
        if (await this.account.store((store) => writeIf(store, this.key, slot, read.etag))) return
      }
    } catch (error) {
      // Whoever reads it next gets the same refusal from WeChat and drops it then.
      this.account.log(`account ${this.kind} could not be dropped:`, error)
    }
  }
}

/**
 * Takes one of WeChat's 20 daily forced refreshes, 30 s apart, counted for the whole site in
 * the `account` store; false when none is left, or Blobs cannot count it.
 */
async function takeForce(account: Account): Promise<boolean> {
  const key = account.key('force')
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await account.store((store) => readVersioned(store, key))
      const used = (read?.data ?? {}) as { day?: unknown; count?: unknown; lastAt?: unknown }
      const now = account.now()
      const day = beijingDay(now)
      const count = used.day === day && isNumber(used.count) ? used.count : 0
      const lastAt = isNumber(used.lastAt) ? used.lastAt : -Infinity
      if (count >= FORCE_PER_DAY || now - lastAt < FORCE_GAP_MS) return false
      const next = { day, count: count + 1, lastAt: now }
      if (await account.store((store) => writeIf(store, key, next, read?.etag))) return true
    }
  } catch (error) {
    account.log('account token: the force_refresh count cannot be kept:', error)
  }
  return false
}

/** The account's access_token; `refuse` names one WeChat has just refused. */
async function obtainToken(account: Account, refuse?: string): Promise<Obtained<Kept>> {
  const { memory } = account
  const inMemory = memory.token
  if (inMemory && inMemory.id !== refuse && account.now() < inMemory.refreshAt) {
    return { held: inMemory, fetched: false }
  }
  const slot = new SharedSlot(account, 'token', parseKept)
  const obtained = await slot.obtain(
    async () => {
      let answer: AccountToken = await account.unlessBusy(() => fetchStableToken(account.client))
      if (refuse && idOf(answer.access_token) === refuse && (await takeForce(account))) {
        // Normal mode insists on the token WeChat has just refused: only forcing replaces it.
        answer = await fetchStableToken(account.client, true)
      }
      const now = account.now()
      const expiresAt = now + answer.expires_in * 1000
      return {
        value: answer.access_token,
        sealed: await account.seal('token', answer.access_token),
        id: idOf(answer.access_token),
        expiresAt,
        refreshAt: refreshAtFor(expiresAt, now),
      }
    },
    { refuse, known: inMemory },
  )
  memory.token = obtained.held
  return obtained
}

/** Forgets a token WeChat refused, here and (if it is still the one kept) in the store. */
async function dropToken(account: Account, id: string): Promise<void> {
  if (account.memory.token?.id === id) delete account.memory.token
  await new SharedSlot(account, 'token', parseKept).drop(id)
}

const isRejectedToken = (error: unknown) =>
  error instanceof WechatError && REJECTED_TOKEN.has(error.errcode ?? 0)

/** A ticket fetched with `token`, as kept: never living longer than the token it came with. */
async function keptTicket(
  account: Account,
  answer: JsapiTicket,
  token: Held<Kept>,
  previous: Held<KeptTicket> | null,
): Promise<Held<KeptTicket>> {
  const now = account.now()
  const id = idOf(answer.ticket)
  // WeChat answers 7200 for a ticket it issued earlier. A first sighting already past could
  // only come from a clock gone wrong, and would have every request ask again.
  const same = previous?.id === id && previous.seenExpiresAt > now
  const seenExpiresAt = same ? previous.seenExpiresAt : now + answer.expires_in * 1000
  const expiresAt = Math.min(seenExpiresAt, token.expiresAt)
  return {
    value: answer.ticket,
    sealed: await account.seal('ticket', answer.ticket),
    id,
    tokenId: token.id,
    seenExpiresAt,
    expiresAt,
    // WeChat gives out no other ticket while this one lives: asking again before is wasted.
    refreshAt: same ? expiresAt : refreshAtFor(expiresAt, now),
  }
}

async function lookUpTicket(account: Account): Promise<Held<KeptTicket>> {
  const slot = new SharedSlot(account, 'ticket', parseTicket)
  const { held } = await slot.obtain(
    async (previous) => {
      const first = await obtainToken(account)
      let token = first.held
      let answer: JsapiTicket
      try {
        answer = await account.unlessBusy(() => fetchJsapiTicket(account.client, token.value))
      } catch (error) {
        // A token just issued is not retried: its refusal is WeChat's answer.
        if (first.fetched || !isRejectedToken(error)) throw error
        await dropToken(account, token.id)
        ;({ held: token } = await obtainToken(account, token.id))
        answer = await account.unlessBusy(() => fetchJsapiTicket(account.client, token.value))
      }
      return keptTicket(account, answer, token, previous)
    },
    { known: account.memory.ticket },
  )
  account.memory.ticket = held
  return held
}

/**
 * The account's jsapi_ticket, for signing `wx.config`: from this instance's memory, the
 * site's store, or WeChat, in that order.
 * @see wechat-behaviour.md §8
 */
export async function jsapiTicket(deps: AccountDeps): Promise<string> {
  const account = new Account(deps)
  const { memory } = account
  const inMemory = memory.ticket
  if (inMemory && account.now() < inMemory.refreshAt) return inMemory.value
  memory.ticketLookup ??= lookUpTicket(account).finally(() => delete memory.ticketLookup)
  return (await memory.ticketLookup).value
}

/**
 * The account's global access_token, kept like the ticket.
 * @see wechat-behaviour.md §8
 */
export async function accountAccessToken(deps: AccountDeps): Promise<string> {
  return (await obtainToken(new Account(deps))).held.value
}
