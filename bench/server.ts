import { getStore } from '@netlify/blobs'
import OAuth from 'wechat-oauth'
import { stateForVerifier } from '../contract/index.ts'
import { openidFor } from '../emulator/ids.ts'
import type { Emulator } from '../emulator/server.ts'
import { obtainCode } from '../emulator/test-support/index.ts'
import type { TestUserId } from '../emulator/users.ts'
import { handleWechatLogin, type HandlerEnv } from '../netlify/lib/handlers.ts'
import { blobStores, type BlobsLocation } from '../netlify/lib/stores.ts'
import { APP_URL } from './paths.ts'
import { withBackends } from './servers.ts'
import { median, percentile } from './stats.ts'

export const LEVELS = [1, 10, 50] as const
/** Each timed level stops at whichever comes first. */
export const LEVEL_LIMIT = { logins: 1000, ms: 10_000 }
/** The hold figure: this many sign-ins at this concurrency, stopped at `ms` if not done. */
export const HOLD = { logins: 1000, concurrency: 50, ms: 120_000 }
/** The users a consent can pick; the snapshot user never signs in. */
const USERS: TestUserId[] = ['normal', 'emoji', 'no-avatar', 'no-unionid', 'html']

export const IMPLS = ['ours', 'wechat-oauth'] as const
export type Impl = (typeof IMPLS)[number]

/** A code minted for a test user, and the openid a sign-in with it must answer. */
interface Grant {
  code: string
  openid: string
}

/**
 * One sign-in: resolves to the openid it answered with as soon as the answer is in, and
 * `settled` to whether the work it left running (Netlify's `waitUntil`) landed.
 */
type Login = (code: string) => Promise<{ openid: string; settled: Promise<boolean> }>

export interface LevelRun {
  impl: Impl
  concurrency: number
  repetition: number
  completed: number
  failed: number
  /** Answers whose user is not the one whose code was sent. */
  mixups: number
  /** Codes never sent: the level ran out of time. */
  unsent: number
  elapsedMs: number
  perSecond: number
  p50: number
  p99: number
}

export interface LevelSummary {
  concurrency: number
  figures: Record<Impl, { perSecond: number; p50: number; p99: number }>
}

export interface ScopeCheck {
  scope: 'snsapi_base' | 'snsapi_userinfo'
  status: number
  accessToken: number
  userinfo: number
}

export interface ServerResults {
  runs: LevelRun[]
  levels: LevelSummary[]
  hold: LevelRun
  scopes: ScopeCheck[]
}

/** What the browser that started the sign-in keeps, and the state WeChat carries back. */
const VERIFIER = 'benchVerifier0123456789abcdefghijklmnopqrstuvwxyz'
const STATE = await stateForVerifier(VERIFIER)

const loginRequest = (code: string) =>
  new Request(`${APP_URL}/api/auth/wechat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, state: STATE, verifier: VERIFIER }),
  })

function ourLogin(env: HandlerEnv): Login {
  return async (code) => {
    const deferred: Promise<boolean>[] = []
    const response = await handleWechatLogin(loginRequest(code), {
      ...env,
      waitUntil: (work) => deferred.push(work),
    })
    const body = (await response.json()) as { user?: { openid: string } }
    if (response.status !== 200 || !body.user) {
      throw new Error(`login ${response.status}: ${JSON.stringify(body)}`)
    }
    const settled = Promise.all(deferred).then((landed) => landed.every(Boolean))
    return { openid: body.user.openid, settled }
  }
}

type Callback<T> = (error: Error | null, result?: T) => void

/**
 * node-webot's client configured for production as its README asks: tokens kept by openid
 * in a shared store (here a Netlify Blobs store on the same server as ours), written by
 * `saveToken` when the code is exchanged and read by `getToken` in `getUser`. Its methods
 * hard-code https://api.weixin.qq.com and all go through `request(url, opts, callback)`, so
 * that one method gets the emulator's origin instead; nothing else is changed, its urllib
 * agent included.
 */
function referenceLogin(emulator: Emulator, location: BlobsLocation): Login {
  const store = getStore({ ...location, name: 'wechat-oauth-tokens', consistency: 'strong' })
  const getToken = (openid: string, callback: Callback<unknown>) =>
    store.get(openid, { type: 'json' }).then((token) => callback(null, token), callback)
  const saveToken = (openid: string, token: unknown, callback: Callback<void>) =>
    store.setJSON(openid, token).then(() => callback(null), callback)
  const client = new OAuth(emulator.appId, emulator.appSecret, getToken, saveToken)
  const request = client.request.bind(client)
  client.request = (url, opts, callback) =>
    request(url.replace('https://api.weixin.qq.com', emulator.url), opts, callback)
  return (code) =>
    new Promise((resolve, reject) => {
      client.getUserByCode({ code, lang: 'zh_CN' }, (error, user) => {
        if (error || !user) reject(error ?? new Error('no user'))
        else resolve({ openid: user.openid, settled: Promise.resolve(true) })
      })
    })
}

/** Codes for `count` sign-ins, the users taken in turn, minted before any timing. */
async function mintGrants(emulator: Emulator, count: number): Promise<Grant[]> {
  const grants: Grant[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const user = USERS[i % USERS.length]!
      grants[i] = {
        code: await obtainCode(emulator, { user }),
        openid: openidFor(emulator.appId, user),
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return grants
}

/**
 * `concurrency` workers share `grants`; new sign-ins stop at `ms`, running ones finish. The
 * level ends when every answer is in and every deferred write has settled: work moved after
 * the answer is still work the server does. Latencies are to the answer, what a user waits.
 * A sign-in whose deferred write failed counts as failed; one that answered another user
 * counts as a mix-up.
 */
async function runLevel(login: Login, grants: Grant[], concurrency: number, ms: number) {
  const latencies: number[] = []
  const settling: Promise<boolean>[] = []
  let failed = 0
  let mixups = 0
  let next = 0
  let firstError: unknown
  const started = performance.now()
  const worker = async () => {
    while (next < grants.length && performance.now() < started + ms) {
      const grant = grants[next++]!
      const t = performance.now()
      try {
        const { openid, settled } = await login(grant.code)
        latencies.push(performance.now() - t)
        if (openid !== grant.openid) mixups++
        settling.push(settled)
      } catch (error) {
        failed++
        firstError ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const landed = (await Promise.all(settling)).filter(Boolean).length
  const elapsedMs = performance.now() - started
  failed += settling.length - landed
  if (failed > 0) console.warn(`  ${failed} sign-ins failed, first:`, firstError)
  return {
    completed: landed,
    failed,
    mixups,
    unsent: grants.length - next,
    elapsedMs,
    perSecond: (landed / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  }
}

/** One sign-in per scope through our handler, with the WeChat calls it made. */
async function checkScopes(emulator: Emulator, env: HandlerEnv): Promise<ScopeCheck[]> {
  const checks: ScopeCheck[] = []
  for (const scope of ['snsapi_userinfo', 'snsapi_base'] as const) {
    const code = await obtainCode(emulator, { scope })
    const before = emulator.log().length
    const { status } = await handleWechatLogin(loginRequest(code), env)
    const calls = emulator.log().slice(before)
    const count = (endpoint: string) => calls.filter((c) => c.endpoint === endpoint).length
    checks.push({ scope, status, accessToken: count('access_token'), userinfo: count('userinfo') })
  }
  return checks
}

/**
 * Our login handler in process beside wechat-oauth, both against an in-process emulator and
 * one local Blobs server, at each concurrency level `repetitions` times (the order of the two
 * flipped every time); then the hold figure, ours alone.
 */
export async function measureServer(repetitions: number): Promise<ServerResults> {
  return withBackends(async ({ emulator, location, vars }) => {
    const env: HandlerEnv = { env: (name) => vars[name], stores: blobStores(location) }
    const logins: Record<Impl, Login> = {
      ours: ourLogin(env),
      'wechat-oauth': referenceLogin(emulator, location),
    }

    const scopes = await checkScopes(emulator, env)
    // JIT, connection pools: warm before anything is timed.
    for (const impl of IMPLS)
      await runLevel(logins[impl], await mintGrants(emulator, 40), 10, 10_000)

    const runs: LevelRun[] = []
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const concurrency of LEVELS) {
        const flip = (repetition + LEVELS.indexOf(concurrency)) % 2 === 1
        for (const impl of flip ? [...IMPLS].reverse() : IMPLS) {
          const grants = await mintGrants(emulator, LEVEL_LIMIT.logins)
          const result = await runLevel(logins[impl], grants, concurrency, LEVEL_LIMIT.ms)
          runs.push({ impl, concurrency, repetition, ...result })
        }
      }
    }
    const levels = LEVELS.map((concurrency) => {
      const summary = (impl: Impl) => {
        const mine = runs.filter((r) => r.impl === impl && r.concurrency === concurrency)
        const med = (key: 'perSecond' | 'p50' | 'p99') => median(mine.map((r) => r[key]))
        return { perSecond: med('perSecond'), p50: med('p50'), p99: med('p99') }
      }
      return {
        concurrency,
        figures: { ours: summary('ours'), 'wechat-oauth': summary('wechat-oauth') },
      }
    })

    const grants = await mintGrants(emulator, HOLD.logins)
    const held = await runLevel(logins.ours, grants, HOLD.concurrency, HOLD.ms)
    const hold: LevelRun = { impl: 'ours', concurrency: HOLD.concurrency, repetition: 0, ...held }
    return { runs, levels, hold, scopes }
  })
}
