import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { emulatorEnv } from '../scripts/emulator-env.ts'
import { launchChromium } from './browser.ts'
import {
  FLOOR_CALLBACK_PATH,
  measureCallbackTimes,
  THROTTLE,
  UPSTREAM_DELAY_MS,
  type CallbackTimes,
  type WaterfallEntry,
} from './callback-time.ts'
import { analyzeChunks, type ChunkComposition } from './composition.ts'
import { buildFloor } from './floor.ts'
import { measureFunctions, type FunctionsResult } from './functions.ts'
import { measureFloorBytes, measureJourney, type PageBytes, type RoundTrips } from './journey.ts'
import { measureLighthouse, type Category, type LighthousePage } from './lighthouse.ts'
import {
  APP_PORT,
  EMULATOR_PORT,
  EMULATOR_URL,
  FLOOR_PORT,
  SERVE_PORT,
  PROJECT_DIR,
  RESULTS_DIR,
} from './paths.ts'
import { absolute, compared, figuresTable, kb, ms, table, type Figure } from './report.ts'
import { MAX_LOGINS, MAX_MS, measureServer, type ServerResults } from './server.ts'
import {
  copySite,
  removeSite,
  serveStatic,
  startCompressingProxy,
  startEmulatorProcess,
  startNetlifyServe,
  stopAll,
} from './servers.ts'

/** Run counts; the defaults keep a whole run to 5–8 minutes on 2 shared cores. */
const TIMING_RUNS = Number(process.env.BENCH_TIMING_RUNS) || 10
const LIGHTHOUSE_RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS) || 3
const SERVER_REPETITIONS = Number(process.env.BENCH_SERVER_REPETITIONS) || 3
const IMPORT_RUNS = Number(process.env.BENCH_IMPORT_RUNS) || 5

const BYTES_ALLOWANCE = 8192
const CALLBACK_RATIO = 1.25
const LIGHTHOUSE_BUDGETS: Record<Category, number> = {
  performance: 98,
  accessibility: 95,
  'best-practices': 95,
}

interface Measurements {
  appBytes: PageBytes[]
  floorBytes: PageBytes[]
  chunks: ChunkComposition[]
  floorChunks: ChunkComposition[]
  roundTrips: RoundTrips
  callback: CallbackTimes
  server: ServerResults
  functions: FunctionsResult
  lighthouse: LighthousePage[]
}

const phases: [string, number][] = []

/** Starts a phase: logged now, and timed for the report. */
function step(text: string): void {
  phases.push([text, Date.now()])
  console.log(`[bench] ${text}`)
}

function phaseTimes(end: number): string {
  return phases
    .map(
      ([text, at], i) =>
        `${text.split(',')[0]} ${Math.round(((phases[i + 1]?.[1] ?? end) - at) / 1000)} s`,
    )
    .join('; ')
}

async function git(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, { cwd: PROJECT_DIR })
  return stdout.trim()
}

function figuresOf(m: Measurements): Figure[] {
  const figures: Figure[] = []

  for (const app of m.appBytes) {
    const floor = m.floorBytes.find((f) => f.route === app.route)!
    const limit = floor.total + BYTES_ALLOWANCE
    figures.push(
      compared(
        'Bytes',
        `JS+CSS gzip, ${app.route}`,
        'B',
        app.total,
        { name: 'floor', value: floor.total },
        {
          text: `≤ floor + 8,192 B = ${limit.toLocaleString('en-US')} B`,
          pass: app.total <= limit,
        },
      ),
    )
  }

  const rt = m.roundTrips
  const userinfoScope = m.server.scopes.find((s) => s.scope === 'snsapi_userinfo')!
  const baseScope = m.server.scopes.find((s) => s.scope === 'snsapi_base')!
  const calls = (u: Record<string, number>) => (u.access_token ?? 0) + (u.userinfo ?? 0)
  const wechatOnReload = Math.max(rt.reload.wechat, rt.reload.authorizeLogged)
  figures.push(
    absolute(
      'Round trips',
      'API requests before the redirect to WeChat',
      'requests',
      rt.apiBeforeWechat,
      {
        text: '= 0',
        pass: rt.apiBeforeWechat === 0,
      },
    ),
    absolute(
      'Round trips',
      'API requests from the callback to the profile on screen',
      'requests',
      rt.apiCallbackToProfile.count,
      { text: '= 1', pass: rt.apiCallbackToProfile.count === 1 },
    ),
    absolute(
      'Round trips',
      'WeChat calls per login, snsapi_userinfo (browser login)',
      'calls',
      calls(rt.upstreamPerLogin),
      {
        text: '= 2 (access_token + userinfo)',
        pass: rt.upstreamPerLogin.access_token === 1 && rt.upstreamPerLogin.userinfo === 1,
      },
    ),
    absolute(
      'Round trips',
      'WeChat calls per login, snsapi_userinfo (handler in process)',
      'calls',
      calls(userinfoScope.upstream),
      {
        text: '= 2 (access_token + userinfo)',
        pass:
          userinfoScope.status === 200 &&
          userinfoScope.upstream.access_token === 1 &&
          userinfoScope.upstream.userinfo === 1,
      },
    ),
    absolute(
      'Round trips',
      'WeChat calls per login, snsapi_base (handler in process)',
      'calls',
      calls(baseScope.upstream),
      {
        text: '= 1 (access_token)',
        pass:
          baseScope.status === 200 &&
          baseScope.upstream.access_token === 1 &&
          baseScope.upstream.userinfo === 0,
      },
    ),
    absolute(
      'Round trips',
      'API requests on a reload of signed-in /profile',
      'requests',
      rt.reload.api,
      {
        text: '≤ 1',
        pass: rt.reload.api <= 1,
      },
    ),
    absolute('Round trips', 'Visits to WeChat on that reload', 'requests', wechatOnReload, {
      text: '= 0',
      pass: wechatOnReload === 0,
    }),
  )

  const cb = m.callback
  figures.push(
    compared(
      'Time to profile',
      `callback → nickname visible, median of ${cb.app.samples.length}`,
      'ms',
      cb.app.median,
      { name: 'floor page', value: cb.floor.median },
      {
        text: `≤ ${CALLBACK_RATIO}× floor`,
        pass: cb.app.median <= CALLBACK_RATIO * cb.floor.median,
      },
    ),
  )

  for (const level of m.server.levels) {
    const c = `concurrency ${level.concurrency}`
    figures.push(
      compared(
        'Server',
        `logins/s, ${c}`,
        'logins/s',
        level.ours.perSecond,
        {
          name: 'wechat-oauth',
          value: level.reference.perSecond,
        },
        { text: '≥ 1.0× wechat-oauth', pass: level.ours.perSecond >= level.reference.perSecond },
      ),
      compared(
        'Server',
        `logins/s, ${c}, Blobs in memory (diagnostic)`,
        'logins/s',
        level.oursMemory.perSecond,
        {
          name: 'wechat-oauth',
          value: level.reference.perSecond,
        },
      ),
      compared(
        'Server',
        `one Blobs write alone, no login (the least a recorded sign-in adds), ${c}`,
        '/s',
        level.oneWrite.perSecond,
        { name: 'wechat-oauth logins', value: level.reference.perSecond },
      ),
      compared(
        'Server',
        `CPU of this process per login, ${c} (its emulator included)`,
        'ms CPU',
        level.ours.cpuMs,
        { name: 'wechat-oauth', value: level.reference.cpuMs },
      ),
      compared(
        'Server',
        `CPU per login, ${c}, Blobs in memory (diagnostic)`,
        'ms CPU',
        level.oursMemory.cpuMs,
        { name: 'wechat-oauth', value: level.reference.cpuMs },
      ),
      compared(
        'Server',
        `CPU per write, ${c}, one Blobs write alone`,
        'ms CPU',
        level.oneWrite.cpuMs,
        { name: 'wechat-oauth per login', value: level.reference.cpuMs },
      ),
      compared('Server', `p50 latency, ${c}`, 'ms', level.ours.p50, {
        name: 'wechat-oauth',
        value: level.reference.p50,
      }),
      compared('Server', `p99 latency, ${c}`, 'ms', level.ours.p99, {
        name: 'wechat-oauth',
        value: level.reference.p99,
      }),
    )
  }
  for (const fn of m.functions.functions) {
    figures.push(
      compared(
        'Server',
        `import time, ${fn.name} (fresh process, median of ${fn.importMs.length})`,
        'ms',
        fn.importMedian,
        {
          name: `import ${m.functions.reference.name}`,
          value: m.functions.reference.importMedian,
        },
      ),
      absolute(
        'Server',
        `bundle gzip, ${fn.name} (${fn.bytes.toLocaleString('en-US')} B raw)`,
        'B',
        fn.gzip,
      ),
    )
  }

  const floorOf = (name: string) =>
    m.lighthouse.find((p) => p.name === name.replace(/^app/, 'floor').replace(' (signed in)', ''))!
  for (const page of m.lighthouse.filter((p) => p.name.startsWith('app'))) {
    for (const [category, min] of Object.entries(LIGHTHOUSE_BUDGETS) as [Category, number][]) {
      figures.push(
        compared(
          'Lighthouse',
          `${category}, ${page.name.slice('app '.length)} (median of ${page.runs.length})`,
          'score',
          page.median[category],
          { name: 'floor app', value: floorOf(page.name).median[category] },
          { text: `≥ ${min}`, pass: page.median[category] >= min },
        ),
      )
    }
  }
  return figures
}

/**
 * What a route loaded, by part (package, own code, CSS), in gzip bytes: each chunk's
 * pro-rata shares scaled to the bytes served.
 */
function routeParts(page: PageBytes, chunks: ChunkComposition[]): Map<string, number> {
  const parts = new Map<string, number>()
  const add = (name: string, bytes: number) => parts.set(name, (parts.get(name) ?? 0) + bytes)
  for (const asset of page.assets) {
    const chunk = chunks.find((c) => `/${c.file}` === asset.path)
    if (asset.kind === 'css') add('CSS', asset.gzip)
    else if (!chunk) add(`unknown ${asset.path}`, asset.gzip)
    else {
      for (const part of chunk.parts) {
        add(part.own ? 'own code' : part.name, (part.gzipShare * asset.gzip) / chunk.gzip)
      }
    }
  }
  return parts
}

function partsTable(app: PageBytes, floor: PageBytes, m: Measurements): string {
  const ours = routeParts(app, m.chunks)
  const theirs = routeParts(floor, m.floorChunks)
  const names = [...new Set([...ours.keys(), ...theirs.keys()])]
  const rows = names
    .map((name) => ({ name, app: ours.get(name) ?? 0, floor: theirs.get(name) ?? 0 }))
    .sort((a, b) => b.app - b.floor - (a.app - a.floor))
  return table(
    ['part', 'app ≈ gzip B', 'floor ≈ gzip B', 'difference'],
    rows.map((r) => [r.name, Math.round(r.app), Math.round(r.floor), Math.round(r.app - r.floor)]),
  )
}

function waterfallTable(entries: WaterfallEntry[]): string {
  return table(
    ['request', 'start', 'end'],
    entries.map((e) => [e.request, ms(e.start), ms(e.end)]),
  )
}

function markdown(m: Measurements, figures: Figure[], meta: Record<string, string>): string {
  const sections = ['Bytes', 'Round trips', 'Time to profile', 'Server', 'Lighthouse']
  const failed = figures.filter((f) => f.verdict === 'FAIL')
  const budgets = figures.filter((f) => f.verdict !== 'INFO')
  const out: string[] = [
    '# Benchmark report',
    '',
    table(['', ''], Object.entries(meta)),
    '',
    `**${budgets.length - failed.length} of ${budgets.length} budgets pass.**` +
      (failed.length
        ? ` Failing: ${failed.map((f) => `${f.section}: ${f.figure}`).join('; ')}.`
        : ''),
    '',
  ]
  for (const section of sections) {
    out.push(`## ${section}`, '', figuresTable(figures.filter((f) => f.section === section)), '')
  }

  out.push('## Details', '', '### Bytes: every JS and CSS response (gzip -9 of the body)', '')
  for (const app of m.appBytes) {
    const floor = m.floorBytes.find((f) => f.route === app.route)!
    out.push(
      `**${app.route}**: app ${kb(app.total)} (JS ${kb(app.js)}, CSS ${kb(app.css)}), floor ${kb(floor.total)}, difference ${kb(app.total - floor.total)}`,
      '',
      table(
        ['side', 'file', 'bytes', 'gzip'],
        [
          ...app.assets.map((a) => ['app', a.path, a.bytes, a.gzip]),
          ...floor.assets.map((a) => ['floor', a.path, a.bytes, a.gzip]),
        ],
      ),
      '',
    )
  }
  out.push(
    '### Where the difference is, by part',
    '',
    'Each served chunk split by what it holds (each part’s modules minified and gzipped alone, the chunk’s real gzip bytes shared out in those proportions: an estimate), CSS as served.',
    '',
  )
  for (const app of m.appBytes) {
    const floor = m.floorBytes.find((f) => f.route === app.route)!
    out.push(`**${app.route}**`, '', partsTable(app, floor, m), '')
  }
  out.push(
    '### What the app chunks hold',
    '',
    'From a second, in-memory build of the same tree and environment (the same chunk names as served).',
    '',
    table(
      ['chunk', 'gzip', 'parts (≈ gzip bytes)'],
      m.chunks.map((c) => [
        `${c.file}${c.isEntry ? ' (entry)' : ''}`,
        c.gzip,
        c.parts.map((p) => `${p.name} ${p.gzipShare}`).join(', '),
      ]),
    ),
    '',
  )

  const rt = m.roundTrips
  out.push(
    '### Round trips',
    '',
    `- callback → profile: ${rt.apiCallbackToProfile.requests.join(', ') || 'none'}`,
    `- WeChat calls of the browser login (emulator log): ${JSON.stringify(rt.upstreamPerLogin)}`,
    `- reload of /profile: ${rt.reload.requests.join(', ') || 'none'}; authorize entries logged: ${rt.reload.authorizeLogged}`,
    ...m.server.scopes.map(
      (s) =>
        `- handler in process, ${s.scope}: HTTP ${s.status}, WeChat calls ${JSON.stringify(s.upstream)}`,
    ),
    '',
  )

  const cb = m.callback
  out.push(
    '### Time to profile',
    '',
    `Chromium throttled through CDP (latency ${THROTTLE.latencyMs} ms, ${THROTTLE.downKbps} kbit/s down, ${THROTTLE.upKbps} kbit/s up, cache disabled), emulator delaying access_token and userinfo by ${UPSTREAM_DELAY_MS} ms each. Each run: fresh context, consent on the emulator (unthrottled), then the timed navigation to the callback (app: /auth/callback, floor: ${FLOOR_CALLBACK_PATH}), to the moment the nickname element first has text and a box (a MutationObserver, in page time from navigation start). App and floor runs interleaved.`,
    '',
    table(
      ['side', 'median', 'min', 'max', 'samples'],
      (['app', 'floor'] as const).map((side) => [
        side,
        ms(cb[side].median),
        ms(Math.min(...cb[side].samples)),
        ms(Math.max(...cb[side].samples)),
        cb[side].samples.map((s) => Math.round(s)).join(', '),
      ]),
    ),
    '',
    `Requests of the app run nearest the median (${ms(cb.typical.app.ms)}), ms from navigation start:`,
    '',
    waterfallTable(cb.typical.app.waterfall),
    '',
    `Requests of the floor run nearest the median (${ms(cb.typical.floor.ms)}):`,
    '',
    waterfallTable(cb.typical.floor.waterfall),
    '',
  )

  const s = m.server
  out.push(
    '### Server',
    '',
    `Each level: up to ${MAX_LOGINS} logins or ${MAX_MS / 1000} s, codes minted through the emulator beforehand; ${SERVER_REPETITIONS} repetitions, the order of the implementations rotated each time; medians below and in the table above. Our handler answers before its Blobs writes land (\`context.waitUntil\`): a level's elapsed time, and so logins/s, ends only when every answer is in and every deferred write has settled (a failed write counts as a failed login); p50 and p99 are the time to the answer.`,
    '',
    table(
      [
        'impl',
        'concurrency',
        'repetition',
        'logins',
        'failed',
        'elapsed',
        'logins/s',
        'p50',
        'p99',
        'CPU ms each',
      ],
      s.runs.map((r) => [
        r.impl,
        r.concurrency,
        r.repetition + 1,
        r.completed,
        r.failed,
        ms(r.elapsedMs),
        r.perSecond.toFixed(1),
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        r.cpuMs.toFixed(2),
      ]),
    ),
    '',
    `Where one login’s time goes at concurrency 1 (${s.breakdown.logins} logins, ${s.breakdown.loginMs.toFixed(1)} ms each, every login's deferred write settled before the next; on the local Blobs server, whose reads carry no ETag, the user record's conditional write is a list, a read and a write):`,
    '',
    table(
      ['call', 'ms per login'],
      Object.entries(s.breakdown.calls).map(([call, t]) => [call, t.toFixed(2)]),
    ),
    '',
    'Bundled functions (files under .netlify/functions-serve/.unzipped/NAME, Netlify’s own ___netlify-* runtime left out; the zip includes it):',
    '',
    table(
      ['function', 'files', 'bytes', 'gzip', 'zip', 'import ms (each run)'],
      m.functions.functions.map((f) => [
        f.name,
        f.files,
        f.bytes,
        f.gzip,
        f.zipBytes,
        f.importMs.map((t) => t.toFixed(0)).join(', '),
      ]),
    ),
    '',
    `Reference import (${m.functions.reference.name}): ${m.functions.reference.importMs.map((t) => t.toFixed(0)).join(', ')} ms.`,
    '',
  )

  out.push(
    '### Lighthouse',
    '',
    table(
      ['page', 'run', 'perf', 'a11y', 'best practices', 'FCP', 'LCP', 'TBT', 'final URL'],
      m.lighthouse.flatMap((p) =>
        p.runs.map((r, i) => [
          p.name,
          i + 1,
          r.scores.performance,
          r.scores.accessibility,
          r.scores['best-practices'],
          ms(r.metrics['first-contentful-paint'] ?? NaN),
          ms(r.metrics['largest-contentful-paint'] ?? NaN),
          ms(r.metrics['total-blocking-time'] ?? NaN),
          r.finalUrl,
        ]),
      ),
    ),
    '',
    'Audits that cost the app points (first run of each page):',
    '',
  )
  for (const page of m.lighthouse.filter((p) => p.name.startsWith('app'))) {
    const first = page.runs[0]
    if (!first) continue
    out.push(`**${page.name}**`, '')
    for (const audit of first.failing) {
      const items = audit.items?.length ? ` — ${audit.items.join('; ')}` : ''
      out.push(
        `- ${audit.id} (${audit.score}${audit.displayValue ? `, ${audit.displayValue}` : ''})${items}`,
      )
    }
    out.push('')
  }
  return out.join('\n')
}

let site: string | undefined

async function cleanUp(): Promise<void> {
  await stopAll()
  if (site) await removeSite(site)
}

async function main() {
  const started = Date.now()
  const load = loadavg()[0]!.toFixed(2)
  await mkdir(join(RESULTS_DIR, 'logs'), { recursive: true })
  let floor: { url: string; close: () => Promise<void> } | undefined
  let cdn: { url: string; close: () => Promise<void> } | undefined
  try {
    step('copying the working tree and starting the emulator and netlify serve')
    site = await copySite({
      'auth/floor-callback.html': 'floor/callback.html',
      'auth/floor-callback.js': 'floor/callback.js',
    })
    await startEmulatorProcess(EMULATOR_PORT)
    const serving = startNetlifyServe(site, SERVE_PORT, EMULATOR_URL)
    serving.catch(() => undefined)
    step('building the floor app and analysing the app chunks')
    const { dist: floorDist, chunks: floorChunks } = await buildFloor()
    const chunks = await analyzeChunks(site, emulatorEnv(EMULATOR_URL))
    await serving
    cdn = await startCompressingProxy(APP_PORT, `http://127.0.0.1:${SERVE_PORT}`)
    floor = await serveStatic(floorDist, FLOOR_PORT, { user: { nickname: '微信用户小明' } })

    const browser = await launchChromium()
    let appBytes: PageBytes[], floorBytes: PageBytes[], roundTrips: RoundTrips
    let callback: CallbackTimes
    const chromiumVersion = browser.version()
    try {
      step('bytes and round trips')
      ;({ bytes: appBytes, roundTrips } = await measureJourney(browser))
      floorBytes = await measureFloorBytes(browser, floor.url)
      step(`time to profile, ${TIMING_RUNS} runs each side`)
      callback = await measureCallbackTimes(browser, TIMING_RUNS)
    } finally {
      await browser.close()
    }
    step(`lighthouse, ${LIGHTHOUSE_RUNS} runs per page`)
    const lighthouse = await measureLighthouse(floor.url, LIGHTHOUSE_RUNS)
    step(`server, ${SERVER_REPETITIONS} repetitions`)
    const server = await measureServer(SERVER_REPETITIONS)
    step('bundled functions')
    const functions = await measureFunctions(site, IMPORT_RUNS)

    const m: Measurements = {
      appBytes,
      floorBytes,
      chunks,
      floorChunks,
      roundTrips,
      callback,
      server,
      functions,
      lighthouse,
    }
    const figures = figuresOf(m)
    const dirty = (await git('status', '--porcelain')).length > 0
    const meta: Record<string, string> = {
      date: new Date(started).toISOString(),
      duration: `${Math.round((Date.now() - started) / 1000)} s (${phaseTimes(Date.now())})`,
      revision: `${await git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${load} at start, ${loadavg()[0]!.toFixed(2)} at end`,
      node: process.version,
      chromium: chromiumVersion,
    }
    await writeFile(join(RESULTS_DIR, 'report.md'), markdown(m, figures, meta) + '\n')
    await writeFile(
      join(RESULTS_DIR, 'report.json'),
      JSON.stringify({ meta, figures, measurements: m }, null, 2) + '\n',
    )
    const failed = figures.filter((f) => f.verdict === 'FAIL')
    console.log(`[bench] report: bench/results/report.md — ${failed.length} budget(s) failed`)
    for (const f of failed) console.log(`[bench]   FAIL ${f.section}: ${f.figure}`)
    process.exitCode = failed.length > 0 ? 1 : 0
  } finally {
    await floor?.close()
    await cdn?.close()
    await cleanUp()
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130))
  })
}

main().catch(async (error: unknown) => {
  console.error(error)
  await cleanUp()
  process.exit(2)
})
