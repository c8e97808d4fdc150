import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getStore, type Store } from '@netlify/blobs'
import OAuth from 'wechat-oauth'
import { createEmulator, type Emulator } from '../emulator/server.ts'
import { obtainCode } from '../emulator/test-support/index.ts'
import type { TestUserId } from '../emulator/users.ts'
import { handleWechatLogin, type HandlerEnv } from '../netlify/lib/handlers.ts'
import { httpFetch } from '../netlify/lib/http-fetch.ts'
import { blobStores, type BlobsLocation } from '../netlify/lib/stores.ts'
import { emulatorEnv } from '../scripts/emulator-env.ts'
import { APP_URL } from './paths.ts'
import { startBlobsProcess, stopProcess, type Started } from './servers.ts'
import { median, percentile } from './stats.ts'

export const LEVELS = [1, 10, 50] as const
/** Each timed level stops at whichever comes first. */
export const MAX_LOGINS = 300
export const MAX_MS = 10_000
/** The users a consent can pick: the snapshot user never signs in. */
const USERS: TestUserId[] = ['normal', 'emoji', 'no-avatar', 'no-unionid', 'html']
const OFFICIAL_API = 'https://api.weixin.qq.com'

/**
 * `ours-memory`: the same handler with Blobs swapped for memory, to show what Blobs costs.
 * `one-write`: no login at all, one Blobs write the size of a user record to a key of its
 * own, unconditional: the least any sign-in that records itself must do. Its rate and CPU
 * beside wechat-oauth's whole login are the bound on what a recording handler can reach.
 */
export type Impl = 'ours' | 'ours-memory' | 'wechat-oauth' | 'one-write'
const IMPLS: Impl[] = ['ours', 'wechat-oauth', 'ours-memory', 'one-write']
/** The implementations that log in, and so need codes. */
const LOGS_IN: ReadonlySet<Impl> = new Set(['ours', 'ours-memory', 'wechat-oauth'])
/**
 * One login: resolves when its answer is in, with the work the answer left running
 * (`waitUntil`); each settles to whether it landed.
 */
type Login = (code: string) => Promise<Promise<boolean>[]>

export interface LevelRun {
  impl: Impl
  concurrency: number
  repetition: number
  completed: number
  failed: number
  elapsedMs: number
  perSecond: number
  p50: number
  p99: number
  /** CPU time of this process per completed login (or write), its in-process emulator's included. */
  cpuMs: number
}

interface Figures {
  perSecond: number
  p50: number
  p99: number
  cpuMs: number
}

export interface LevelSummary {
  concurrency: number
  ours: Figures
  oursMemory: Figures
  reference: Figures
  oneWrite: Figures
}

export interface ScopeCheck {
  scope: 'snsapi_base' | 'snsapi_userinfo'
  status: number
  upstream: Record<string, number>
}

/** Where one login's time goes at concurrency 1: mean ms per login for each call. */
export interface Breakdown {
  logins: number
  loginMs: number
  calls: Record<string, number>
}

export interface ServerResults {
  runs: LevelRun[]
  levels: LevelSummary[]
  scopes: ScopeCheck[]
  breakdown: Breakdown
}

function ourLogin(env: HandlerEnv): Login {
  return async (code) => {
    const deferred: Promise<boolean>[] = []
    const request = new Request(`${APP_URL}/api/auth/wechat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, state: 'benchState' }),
    })
    const response = await handleWechatLogin(request, {
      ...env,
      waitUntil: (work) => deferred.push(work),
    })
    const body = await response.text()
    if (response.status !== 200) throw new Error(`login ${response.status}: ${body}`)
    return deferred
  }
}

/**
 * Netlify Blobs stand-in kept in memory, with the conditional writes the handler relies on.
 * Only for the `ours-memory` comparison: it shows what the handler costs without Blobs.
 */
function memoryStores(): NonNullable<HandlerEnv['stores']> {
  const all = new Map<string, Map<string, { value: string; etag: string }>>()
  let version = 0
  return (name) => {
    const blobs = all.get(name) ?? new Map<string, { value: string; etag: string }>()
    all.set(name, blobs)
    type Options = { type?: string; onlyIfMatch?: string; onlyIfNew?: boolean }
    const read = (key: string, options?: Options) => {
      const blob = blobs.get(key)
      if (!blob) return null
      return options?.type === 'json' ? JSON.parse(blob.value) : blob.value
    }
    const write = (key: string, value: string, options: Options = {}) => {
      const current = blobs.get(key)
      const refused =
        (options.onlyIfNew && current) ||
        (options.onlyIfMatch !== undefined && current?.etag !== options.onlyIfMatch)
      if (refused) return { modified: false }
      const etag = `"${++version}"`
      blobs.set(key, { value, etag })
      return { modified: true, etag }
    }
    const store = {
      get: async (key: string, options?: Options) => read(key, options),
      getWithMetadata: async (key: string, options?: Options) => {
        const blob = blobs.get(key)
        return blob ? { data: read(key, options), etag: blob.etag, metadata: {} } : null
      },
      list: async (options?: { prefix?: string }) => ({
        blobs: [...blobs]
          .filter(([key]) => key.startsWith(options?.prefix ?? ''))
          .map(([key, blob]) => ({ key, etag: blob.etag })),
        directories: [],
      }),
      set: async (key: string, value: string, options?: Options) => write(key, value, options),
      setJSON: async (key: string, value: unknown, options?: Options) =>
        write(key, JSON.stringify(value), options),
      delete: async (key: string) => void blobs.delete(key),
    }
    return store as unknown as Store
  }
}

/**
 * One write of a record-sized blob (a user record with its sealed tokens is ≈ 1 KB), to a key
 * of its own and without a condition: nothing is read first, nothing can conflict.
 */
function oneWrite(store: Store): Login {
  const record = JSON.stringify({ padding: 'x'.repeat(1000) })
  let next = 0
  return async () => {
    await store.set(`write-${next++}`, record)
    return []
  }
}

/**
 * node-webot's client, as its README uses it (tokens kept in memory). Its methods
 * hard-code https://api.weixin.qq.com and all go through `request(url, opts, callback)`,
 * so that one method gets the emulator's origin instead; nothing else is changed, its
 * urllib agent included (no keep-alive, urllib's default).
 */
function referenceLogin(emulator: Emulator): Login {
  const client = new OAuth(emulator.appId, emulator.appSecret)
  const request = client.request.bind(client)
  client.request = (url, opts, callback) =>
    request(url.replace(OFFICIAL_API, emulator.url), opts, callback)
  return (code) =>
    new Promise((resolve, reject) => {
      client.getAccessToken(code, (error, result) => {
        if (error) return reject(error)
        client.getUser({ openid: result.data.openid, lang: 'zh_CN' }, (userError) =>
          userError ? reject(userError) : resolve([]),
        )
      })
    })
}

/**
 * Logins one at a time with every WeChat call and every Blobs call timed, through the
 * handler's own injection points (`fetch`, `stores`). Not part of the timed levels.
 */
async function measureBreakdown(env: HandlerEnv, emulator: Emulator, count: number) {
  const spent: Record<string, number> = {}
  const add = (what: string, ms: number) => (spent[what] = (spent[what] ?? 0) + ms)
  const timedFetch: typeof fetch = async (input, init) => {
    const t = performance.now()
    // What the WeChat client uses when given none.
    const response = await httpFetch(input, init)
    // The body too: the handler's wait for WeChat ends when the body is in.
    const body = await response.arrayBuffer()
    add(`WeChat ${new URL(String(input)).pathname}`, performance.now() - t)
    return new Response(body, { status: response.status, headers: response.headers })
  }
  const stores = env.stores!
  const timedStores: typeof stores = (name) =>
    new Proxy(stores(name), {
      get(target, property) {
        const value: unknown = Reflect.get(target, property)
        if (typeof value !== 'function') return value
        return async (...args: unknown[]) => {
          const t = performance.now()
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          } finally {
            add(`Blobs ${name}.${String(property)}`, performance.now() - t)
          }
        }
      },
    })
  const login = ourLogin({ ...env, fetch: timedFetch, stores: timedStores })
  const codes = await mintCodes(emulator, count)
  const t = performance.now()
  // Each login's deferred writes settle before the next starts, so every call is counted.
  for (const code of codes) await Promise.all(await login(code))
  const calls: Record<string, number> = {}
  for (const [what, ms] of Object.entries(spent)) calls[what] = ms / count
  return { logins: count, loginMs: (performance.now() - t) / count, calls }
}

/** Codes for `count` logins, minted through the emulator's consent before any timing. */
async function mintCodes(emulator: Emulator, count: number): Promise<string[]> {
  const codes: string[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      codes[i] = await obtainCode(emulator, { user: USERS[i % USERS.length] })
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return codes
}

/**
 * `concurrency` workers share `codes`; new logins stop at MAX_MS, running ones finish. The
 * level ends when every answer is in and every deferred write has settled: work moved after
 * the answer is still work the server does. Latencies are to the answer, what a user waits.
 * A login whose deferred write failed counts as failed.
 */
async function runLevel(login: Login, codes: string[], concurrency: number) {
  const latencies: number[] = []
  const settling: Promise<boolean>[] = []
  let answered = 0
  let failed = 0
  let next = 0
  let firstError: unknown
  const started = performance.now()
  const cpu = process.cpuUsage()
  const deadline = started + MAX_MS
  const worker = async () => {
    while (next < codes.length && performance.now() < deadline) {
      const code = codes[next++]!
      const t = performance.now()
      try {
        const deferred = await login(code)
        latencies.push(performance.now() - t)
        answered++
        settling.push(Promise.all(deferred).then((landed) => landed.every(Boolean)))
      } catch (error) {
        failed++
        firstError ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const landed = (await Promise.all(settling)).filter(Boolean).length
  const elapsedMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  failed += answered - landed
  if (failed > 0) {
    console.warn(`  ${failed} logins failed (${answered - landed} deferred), first:`, firstError)
  }
  return {
    completed: landed,
    failed,
    elapsedMs,
    perSecond: (landed / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMs: (used.user + used.system) / 1000 / Math.max(landed, 1),
  }
}

async function upstreamCalls(emulator: Emulator, run: () => Promise<number>) {
  const before = emulator.log().length
  const status = await run()
  const calls: Record<string, number> = { access_token: 0, userinfo: 0 }
  for (const entry of emulator.log().slice(before)) {
    if (entry.endpoint in calls) calls[entry.endpoint]! += 1
  }
  return { status, upstream: calls }
}

/**
 * The login handler in process against an in-process emulator, beside node-webot's
 * wechat-oauth doing the same exchange and userinfo, at each concurrency level,
 * `repetitions` times, the order of the two flipped every time.
 */
export async function measureServer(repetitions: number): Promise<ServerResults> {
  const emulator = await createEmulator({ port: 0, quiet: true })
  const blobsDir = await mkdtemp(join(tmpdir(), 'wx-bench-blobs-'))
  const token = 'bench-token'
  let blobs: Started | undefined
  try {
    const started = await startBlobsProcess(blobsDir, token)
    blobs = started.proc
    const apiURL = `http://127.0.0.1:${started.port}`
    const location: BlobsLocation = {
      siteID: 'bench',
      token,
      edgeURL: apiURL,
      uncachedEdgeURL: apiURL,
    }
    const vars: Record<string, string> = { ...emulatorEnv(emulator.url) }
    const env: HandlerEnv = {
      env: (name) => vars[name],
      // The handler keeps users (and their tokens) in Netlify Blobs: a real local Blobs
      // server, reached as the functions reach Blobs (`blobStores`, as `siteStores` does)
      // where Netlify and `netlify dev` connect them to it (edge URLs, strong reads: one
      // request a call). The API URL is the build's path, with a signed-URL request first.
      stores: blobStores(location),
    }
    const logins: Record<Impl, Login> = {
      ours: ourLogin(env),
      'ours-memory': ourLogin({ ...env, stores: memoryStores() }),
      'wechat-oauth': referenceLogin(emulator),
      // A store of its own, so the records' store lists no more keys than without it.
      'one-write': oneWrite(
        getStore({ ...location, name: 'writes', consistency: 'strong', fetch: httpFetch }),
      ),
    }
    const codesFor = (impl: Impl, count: number) =>
      LOGS_IN.has(impl)
        ? mintCodes(emulator, count)
        : Promise.resolve(Array<string>(count).fill(''))

    const scopes: ScopeCheck[] = []
    for (const scope of ['snsapi_userinfo', 'snsapi_base'] as const) {
      const code = await obtainCode(emulator, { scope })
      const check = await upstreamCalls(emulator, async () => {
        const request = new Request(`${APP_URL}/api/auth/wechat`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ code, state: 'benchState' }),
        })
        return (await handleWechatLogin(request, env)).status
      })
      scopes.push({ scope, ...check })
    }

    // Warm both up (JIT, connection pools) before anything is timed.
    for (const impl of IMPLS) await runLevel(logins[impl], await codesFor(impl, 40), 10)

    const breakdown = await measureBreakdown(env, emulator, 100)

    const runs: LevelRun[] = []
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const concurrency of LEVELS) {
        // A different one goes first each time.
        const shift = (repetition + LEVELS.indexOf(concurrency)) % IMPLS.length
        for (const impl of [...IMPLS.slice(shift), ...IMPLS.slice(0, shift)]) {
          const codes = await codesFor(impl, MAX_LOGINS)
          const result = await runLevel(logins[impl], codes, concurrency)
          runs.push({ impl, concurrency, repetition, ...result })
        }
      }
    }

    const summarize = (impl: Impl, concurrency: number) => {
      const mine = runs.filter((r) => r.impl === impl && r.concurrency === concurrency)
      return {
        perSecond: median(mine.map((r) => r.perSecond)),
        p50: median(mine.map((r) => r.p50)),
        p99: median(mine.map((r) => r.p99)),
        cpuMs: median(mine.map((r) => r.cpuMs)),
      }
    }
    const levels = LEVELS.map((concurrency) => ({
      concurrency,
      ours: summarize('ours', concurrency),
      oursMemory: summarize('ours-memory', concurrency),
      reference: summarize('wechat-oauth', concurrency),
      oneWrite: summarize('one-write', concurrency),
    }))
    return { runs, levels, scopes, breakdown }
  } finally {
    await emulator.close()
    if (blobs) await stopProcess(blobs)
    await rm(blobsDir, { recursive: true, force: true })
  }
}
