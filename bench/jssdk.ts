import { createHash } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { Emulator } from '../emulator/server.ts'
import {
  send,
  signer,
  SIDES,
  type Answer,
  type Batch,
  type Call,
  type InstanceData,
  type Side,
} from './jssdk-instance.ts'
import { APP_URL } from './paths.ts'
import { withBackends } from './servers.ts'
import { median, percentile } from './stats.ts'

/** From cold: this many signatures over this many instances, each `concurrency` at a time. */
export const COLD = { instances: 10, signatures: 1000, concurrency: 10, ms: 60_000 }
/** Warm, one instance: this many signatures at this concurrency, new ones stopped at `ms`. */
export const WARM = { signatures: 2000, concurrency: 10, ms: 10_000 }

export interface ColdRun {
  side: Side
  /** Answered 200 with a signature of the page made with the ticket WeChat holds. */
  signed: number
  failed: number
  /** Upstream calls, from the emulator's counts. */
  stableToken: number
  token: number
  getticket: number
  elapsedMs: number
}

export interface WarmRun {
  side: Side
  repetition: number
  completed: number
  failed: number
  elapsedMs: number
  p50: number
  p99: number
}

export interface JssdkResults {
  cold: ColdRun[]
  warm: WarmRun[]
  medians: Record<Side, { p50: number; p99: number }>
}

/** The landing page WeChat's redirect leaves the browser on, as iOS signs it. */
const PAGE = `${APP_URL}/auth/callback?code=061Abc&state=9f86d0`
const CALL: Call = {
  url: `${APP_URL}/api/wechat/jssdk-config`,
  body: JSON.stringify({ url: `${PAGE}#/profile` }),
}
const calls = (count: number) => Array.from({ length: count }, () => CALL)

const TSX_API = import.meta.resolve('tsx/esm/api')
const INSTANCE = new URL('./jssdk-instance.ts', import.meta.url).href

/** A worker thread running jssdk-instance.ts: a fresh copy of every module, ready to sign. */
function startInstance(data: InstanceData): Promise<Worker> {
  // A worker does not inherit tsx's hooks on Node 20: it registers them before the import.
  const code = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(INSTANCE)}) })`
  const worker = new Worker(code, { eval: true, workerData: data })
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker))
    worker.once('error', reject)
  })
}

async function counts(emulator: Emulator) {
  const response = await fetch(`${emulator.url}/__emulator/counts`)
  return (await response.json()) as Record<'stable_token' | 'token' | 'getticket', number>
}

/** Whether `body` signs PAGE with the ticket the emulator holds valid now. */
function signedWithValidTicket(emulator: Emulator, answer: Answer): boolean {
  const [valid] = emulator.tickets()
  const { nonceStr, timestamp, signature } = answer.body
  if (!valid || answer.status !== 200) return false
  const text = `jsapi_ticket=${valid.ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${PAGE}`
  return signature === createHash('sha1').update(text).digest('hex')
}

/**
 * `COLD.instances` instances of one side, started and loaded first, then all sent their share
 * of the signatures at once, against an empty store: the upstream calls are the emulator's
 * counts before and after.
 */
async function measureCold(emulator: Emulator, data: InstanceData): Promise<ColdRun> {
  const workers = await Promise.all(
    Array.from({ length: COLD.instances }, () => startInstance(data)),
  )
  try {
    const before = await counts(emulator)
    const started = performance.now()
    const batch: Batch = {
      calls: calls(COLD.signatures / COLD.instances),
      concurrency: COLD.concurrency,
    }
    const answered = Promise.all(
      workers.map(
        (worker) =>
          new Promise<Answer[]>((resolve, reject) => {
            worker.once('message', resolve)
            worker.once('error', reject)
            worker.postMessage(batch)
          }),
      ),
    )
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('cold signatures not done in time')), COLD.ms)
    })
    const answers = (
      await Promise.race([answered, timeout]).finally(() => clearTimeout(timer))
    ).flat()
    const elapsedMs = performance.now() - started
    const after = await counts(emulator)
    const signed = answers.filter((a) => signedWithValidTicket(emulator, a)).length
    const failed = answers.length - signed
    if (failed > 0)
      console.warn(
        `  ${data.side}: ${failed} cold signatures failed, e.g.`,
        answers.find((a) => !signedWithValidTicket(emulator, a)),
      )
    return {
      side: data.side,
      signed,
      failed,
      stableToken: after.stable_token - before.stable_token,
      token: after.token - before.token,
      getticket: after.getticket - before.getticket,
      elapsedMs,
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

/**
 * The JS-SDK signature, ours beside wechat-api, against an in-process emulator and one local
 * Blobs server: first from cold across `COLD.instances` instances each (the upstream calls),
 * then warm in this process, `repetitions` times with the side going first alternating.
 */
export async function measureJssdk(repetitions: number): Promise<JssdkResults> {
  return withBackends(async ({ emulator, location, vars }) => {
    const data = (side: Side): InstanceData => ({ side, vars, location })

    const cold: ColdRun[] = []
    for (const side of SIDES) cold.push(await measureCold(emulator, data(side)))

    const signs = Object.fromEntries(SIDES.map((side) => [side, signer(data(side))]))
    // JIT, connections, this instance's memory: warm before anything is timed.
    for (const side of SIDES) await send(signs[side]!, calls(40), 10)
    const warm: WarmRun[] = []
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const side of repetition % 2 ? [...SIDES].reverse() : SIDES) {
        const started = performance.now()
        const answers = await send(signs[side]!, calls(WARM.signatures), WARM.concurrency, WARM.ms)
        const elapsedMs = performance.now() - started
        const ok = answers.filter((a) => signedWithValidTicket(emulator, a))
        const latencies = ok.map((a) => a.ms)
        warm.push({
          side,
          repetition,
          completed: ok.length,
          failed: answers.length - ok.length,
          elapsedMs,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
        })
      }
    }
    const of = (side: Side, key: 'p50' | 'p99') =>
      median(warm.filter((r) => r.side === side).map((r) => r[key]))
    const medians = Object.fromEntries(
      SIDES.map((side) => [side, { p50: of(side, 'p50'), p99: of(side, 'p99') }]),
    ) as JssdkResults['medians']
    return { cold, warm, medians }
  })
}
