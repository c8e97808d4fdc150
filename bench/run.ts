import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { launchChromium } from './browser.ts'
import { measureCallbackTimes, SIDES, type CallbackTimes, type Samples } from './callback-time.ts'
import { measureImports, type ImportTimes } from './functions.ts'
import { COLD, measureJssdk, WARM, type JssdkResults } from './jssdk.ts'
import {
  JSSDK_CHUNK,
  measureJourney,
  type PageBytes,
  type RoundTrips,
  type SignInTrips,
} from './journey.ts'
import { measureLighthouse, type Category, type LighthousePage } from './lighthouse.ts'
import {
  APP_PORT,
  APP_URL,
  EMULATOR_PORT,
  EMULATOR_URL,
  FLOOR_BASE,
  PROJECT_DIR,
  RESULTS_DIR,
  SERVE_PORT,
} from './paths.ts'
import { figure, figuresTable, ms, table, type Figure } from './report.ts'
import { HOLD, LEVEL_LIMIT, measureServer, type ServerResults } from './server.ts'
import {
  copySite,
  removeSite,
  startCompressingProxy,
  startEmulatorProcess,
  startNetlifyServe,
  stopAll,
} from './servers.ts'

/** Run counts; the defaults keep a whole run to about 10 minutes on 2 shared cores. */
const TIMING_RUNS = Number(process.env.BENCH_TIMING_RUNS) || 10
const LIGHTHOUSE_RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS) || 3
const SERVER_REPETITIONS = Number(process.env.BENCH_SERVER_REPETITIONS) || 3
const IMPORT_RUNS = Number(process.env.BENCH_IMPORT_RUNS) || 10
const JSSDK_REPETITIONS = Number(process.env.BENCH_JSSDK_REPETITIONS) || 3

const PHASES = ['bytes', 'time', 'lighthouse', 'imports', 'server', 'jssdk'] as const
type Phase = (typeof PHASES)[number]
/** BENCH_PHASES=bytes,server runs only those; the report then holds only their figures. */
const selected = new Set(process.env.BENCH_PHASES?.split(',') ?? PHASES)
for (const phase of selected) {
  if (!PHASES.includes(phase as Phase)) throw new Error(`unknown phase ${phase}`)
}

const BYTES_ALLOWANCE = 8192
const LIGHTHOUSE_BUDGETS: Record<Category, number> = {
  performance: 98,
  accessibility: 95,
  'best-practices': 95,
}

interface Measurements {
  bytes?: {
    app: PageBytes[]
    floor: PageBytes[]
    roundTrips: RoundTrips
    /** JS-SDK chunks that the app's index.html loads or preloads: the entry's own graph. */
    jssdkInEntry: string[]
  }
  time?: CallbackTimes
  lighthouse?: LighthousePage[]
  imports?: ImportTimes[]
  server?: ServerResults
  jssdk?: JssdkResults
}

function figuresOf(m: Measurements): Figure[] {
  const figures: Figure[] = []
  const floor = { name: 'floor app' }

  for (const app of m.bytes?.app ?? []) {
    const reference = m.bytes!.floor.find((f) => f.route === app.route)!.signIn
    const limit = reference + BYTES_ALLOWANCE
    figures.push(
      figure('Bytes', `JS+CSS gzip, ${app.route}, without the JS-SDK`, 'B', app.signIn, {
        reference: { ...floor, value: reference },
        budget: `≤ floor + 8,192 B = ${limit.toLocaleString('en-US')} B`,
        pass: app.signIn <= limit,
      }),
      figure(
        'Bytes',
        `JS-SDK chunks, ${app.route} (WeChat only, lazy)`,
        'B',
        app.total - app.signIn,
      ),
    )
  }

  if (m.bytes) {
    const inEntry = m.bytes.jssdkInEntry
    figures.push(
      figure('Bytes', 'JS-SDK chunks loaded or preloaded by index.html', 'files', inEntry.length, {
        budget: '= 0 (lazy)',
        pass: inEntry.length === 0,
      }),
    )
  }

  const rt = m.bytes?.roundTrips
  const count = (name: string, requests: string[], budget: string, pass: boolean) =>
    figure('Round trips', name, 'requests', requests.length, { budget, pass })
  if (rt) {
    const { first, returning } = rt
    const calls = (trips: SignInTrips) => {
      const { accessToken, userinfo, refreshToken } = trips.wechatCalls
      return { total: accessToken + userinfo + refreshToken, accessToken, userinfo }
    }
    const firstCalls = calls(first)
    const returningCalls = calls(returning)
    const scopes = (trips: SignInTrips) => trips.authorize.join(', ') || 'none'
    const FIRST = 'first sign-in (微信授权登录)'
    const RETURNING = 'returning, no cookie (/profile)'
    figures.push(
      count(
        `${FIRST}: API requests before the redirect to WeChat`,
        first.apiBeforeWechat,
        '= 0',
        first.apiBeforeWechat.length === 0,
      ),
      figure(
        'Round trips',
        `${FIRST}: redirects to WeChat (${scopes(first)})`,
        'requests',
        first.authorize.length,
        {
          budget: '= 2 (snsapi_base, snsapi_userinfo)',
          pass: scopes(first) === 'snsapi_base, snsapi_userinfo',
        },
      ),
      count(
        `${FIRST}: API requests, first redirect → profile on screen`,
        first.api,
        '= 2 (422 profile_required, 200)',
        first.api.length === 2 &&
          first.api[0]!.endsWith(' → 422') &&
          first.api[1]!.endsWith(' → 200'),
      ),
      figure(
        'Round trips',
        `${FIRST}: WeChat calls (${firstCalls.accessToken} access_token, ${firstCalls.userinfo} userinfo)`,
        'calls',
        firstCalls.total,
        {
          budget: '= 3 (2 access_token, 1 userinfo)',
          pass: firstCalls.accessToken === 2 && firstCalls.userinfo === 1 && firstCalls.total === 3,
        },
      ),
      count(
        `${RETURNING}: API requests before the redirect to WeChat`,
        returning.apiBeforeWechat,
        '= 0',
        returning.apiBeforeWechat.length === 0,
      ),
      figure(
        'Round trips',
        `${RETURNING}: redirects to WeChat (${scopes(returning)})`,
        'requests',
        returning.authorize.length,
        { budget: '= 1 (snsapi_base)', pass: scopes(returning) === 'snsapi_base' },
      ),
      count(
        `${RETURNING}: API requests, redirect → profile on screen`,
        returning.api,
        '= 1 (200)',
        returning.api.length === 1 && returning.api[0]!.endsWith(' → 200'),
      ),
      figure(
        'Round trips',
        `${RETURNING}: WeChat calls (${returningCalls.accessToken} access_token, ${returningCalls.userinfo} userinfo)`,
        'calls',
        returningCalls.total,
        {
          budget: '= 1 (access_token)',
          pass: returningCalls.accessToken === 1 && returningCalls.total === 1,
        },
      ),
    )
  }
  for (const s of m.server?.scopes ?? []) {
    const userinfo = s.scope === 'snsapi_userinfo'
    const pass = s.status === 200 && s.accessToken === 1 && s.userinfo === (userinfo ? 1 : 0)
    figures.push(
      figure(
        'Round trips',
        `WeChat calls per login, ${s.scope}`,
        'calls',
        s.accessToken + s.userinfo,
        {
          budget: userinfo ? '= 2 (access_token, userinfo)' : '= 1 (access_token)',
          pass,
        },
      ),
    )
  }
  if (rt) {
    const { apiOnReload: api, wechatOnReload: wechat } = rt
    figures.push(
      count('API requests, reload of signed-in /profile', api, '≤ 1', api.length <= 1),
      count('WeChat visits, reload of signed-in /profile', wechat, '= 0', wechat.length === 0),
      figure(
        'Round trips',
        'JS-SDK signature requests, reload of signed-in /profile (WeChat only)',
        'requests',
        rt.jssdkOnReload.length,
      ),
      figure(
        'Round trips',
        'avatar requests (GET /api/avatar/…), reload of signed-in /profile',
        'requests',
        rt.avatarOnReload.length,
      ),
    )
  }

  if (m.time) {
    const { app, floor: reference, limit, journeys } = m.time
    const name = `callback → nickname on screen, median of ${app.samples.length}`
    const { first, returning } = journeys
    const firstName = `first sign-in: 微信授权登录 → profile, without the time on the consent sheet, median of ${first.samples.length}`
    figures.push(
      figure('Time to profile', name, 'ms', app.median, {
        reference: { ...floor, value: reference.median },
        budget: '≤ 1.0× floor app',
        pass: app.median <= reference.median,
      }),
      figure(
        'Time to profile',
        `physical limit: one script, one POST (${name})`,
        'ms',
        limit.median,
      ),
      figure('Time to profile', firstName, 'ms', first.median),
      figure(
        'Time to profile',
        `  of which 微信授权登录 → consent sheet's 允许 on screen (snsapi_base, 422, snsapi_userinfo)`,
        'ms',
        first.tapToSheet.median,
      ),
      figure(
        'Time to profile',
        `  of which 允许 → profile on screen`,
        'ms',
        first.allowToProfile.median,
      ),
      figure(
        'Time to profile',
        `returning, no cookie: /profile navigation start → profile on screen, median of ${returning.samples.length}`,
        'ms',
        returning.median,
        { reference: { name: 'first sign-in', value: first.median } },
      ),
    )
  }

  for (const page of m.lighthouse?.filter((p) => p.side === 'app') ?? []) {
    const reference = m.lighthouse!.find((p) => p.side === 'floor' && p.route === page.route)!
    const route = page.route === '/profile' ? '/profile (signed in)' : page.route
    for (const [category, min] of Object.entries(LIGHTHOUSE_BUDGETS) as [Category, number][]) {
      const value = page.median[category]
      figures.push(
        figure(
          'Lighthouse',
          `${category}, ${route}, median of ${page.runs.length}`,
          'score',
          value,
          {
            reference: { ...floor, value: reference.median[category] },
            budget: `≥ ${min}`,
            pass: value >= min,
          },
        ),
      )
    }
  }

  for (const level of m.server?.levels ?? []) {
    const { ours, 'wechat-oauth': theirs } = level.figures
    const c = `concurrency ${level.concurrency}`
    const reference = (value: number) => ({ reference: { name: 'wechat-oauth', value } })
    figures.push(
      figure('Server throughput', `logins/s, ${c}`, 'logins/s', ours.perSecond, {
        ...reference(theirs.perSecond),
        budget: '≥ 1.0× wechat-oauth',
        pass: ours.perSecond >= theirs.perSecond,
      }),
      figure('Server throughput', `p50 latency, ${c}`, 'ms', ours.p50, reference(theirs.p50)),
      figure('Server throughput', `p99 latency, ${c}`, 'ms', ours.p99, reference(theirs.p99)),
    )
  }
  const hold = m.server?.hold
  if (hold) {
    const name = `sign-ins held at concurrency ${HOLD.concurrency}: ${hold.failed} failed, ${hold.mixups} answered another user`
    figures.push(
      figure('Server throughput', name, 'sign-ins', hold.completed, {
        budget: `${HOLD.logins.toLocaleString('en-US')}, 0 failed, 0 mixed up`,
        pass: hold.completed === HOLD.logins && hold.failed === 0 && hold.mixups === 0,
      }),
    )
  }

  if (m.jssdk) {
    const { cold, medians } = m.jssdk
    const ours = cold.find((r) => r.side === 'ours')!
    const theirs = cold.find((r) => r.side === 'wechat-api')!
    const across = `per ${COLD.signatures.toLocaleString('en-US')} signatures, ${COLD.instances} instances from cold`
    const signed = (r: typeof ours) => r.signed === COLD.signatures
    const calls = (name: string, of: (r: typeof ours) => number) =>
      figure('JS-SDK signature', `${name} ${across}`, 'calls', of(ours), {
        reference: { name: 'wechat-api', value: of(theirs) },
        budget: `≤ 1, ${COLD.signatures.toLocaleString('en-US')} signed`,
        pass: of(ours) <= 1 && signed(ours),
      })
    const c = `warm, concurrency ${WARM.concurrency}, median of ${JSSDK_REPETITIONS}`
    const reference = (value: number) => ({ reference: { name: 'wechat-api', value } })
    figures.push(
      calls('token calls (stable_token + token)', (r) => r.stableToken + r.token),
      calls('getticket calls', (r) => r.getticket),
      figure(
        'JS-SDK signature',
        `p50 latency, ${c}`,
        'ms',
        medians.ours.p50,
        reference(medians['wechat-api'].p50),
      ),
      figure(
        'JS-SDK signature',
        `p99 latency, ${c}`,
        'ms',
        medians.ours.p99,
        reference(medians['wechat-api'].p99),
      ),
    )
  }

  const reference = m.imports?.find((i) => i.name === 'wechat-oauth')
  for (const fn of m.imports?.filter((i) => i !== reference) ?? []) {
    figures.push(
      figure('Cold start', `import ${fn.name}, median of ${fn.samples.length}`, 'ms', fn.median, {
        reference: { name: 'import wechat-oauth', value: reference!.median },
        budget: '≤ 1.0× wechat-oauth',
        pass: fn.median <= reference!.median,
      }),
    )
  }
  return figures
}

function details(m: Measurements): string[] {
  const out: string[] = ['## Details', '']
  if (m.bytes) {
    const rows = (side: string, pages: PageBytes[]) =>
      pages.flatMap((p) => p.assets.map((a) => [p.route, side, a.path, a.gzip]))
    out.push(
      '### Bytes: every JS and CSS response (gzip -9 of the body)',
      '',
      table(
        ['route', 'side', 'file', 'gzip B'],
        [...rows('app', m.bytes.app), ...rows('floor', m.bytes.floor)],
      ),
      '',
      `JS-SDK chunks in index.html: ${m.bytes.jssdkInEntry.join(', ') || 'none'}`,
      '',
      '### Round trips: the requests counted',
      '',
      ...Object.entries(m.bytes.roundTrips).flatMap(([k, v]) =>
        Array.isArray(v)
          ? [`- ${k}: ${v.join(', ') || 'none'}`]
          : Object.entries(v as SignInTrips).map(
              ([part, list]) =>
                `- ${k}, ${part}: ${Array.isArray(list) ? list.join(', ') || 'none' : JSON.stringify(list)}`,
            ),
      ),
      '',
    )
  }
  if (m.time) {
    out.push(
      '### Time to profile: every run',
      '',
      table(
        ['side', 'median', 'samples (ms)'],
        (
          [
            ...SIDES.map((side) => [side, m.time![side]]),
            ['app, first sign-in (tap → 允许 + 允许 → profile)', m.time.journeys.first],
            ['  tap → 允许 on screen', m.time.journeys.first.tapToSheet],
            ['  允许 → profile', m.time.journeys.first.allowToProfile],
            ['app, returning without a cookie', m.time.journeys.returning],
          ] as [string, Samples][]
        ).map(([side, s]) => [side, ms(s.median), s.samples.map(Math.round).join(', ')]),
      ),
      '',
    )
  }
  if (m.lighthouse) {
    out.push(
      '### Lighthouse: every run (performance, accessibility, best practices; FCP, LCP, TBT)',
      '',
      table(
        ['page', 'side', 'scores', 'FCP / LCP / TBT'],
        m.lighthouse.flatMap((p) =>
          p.runs.map((r) => [
            p.route,
            p.side,
            Object.values(r.scores).join(', '),
            Object.values(r.metrics).map(ms).join(' / '),
          ]),
        ),
      ),
      '',
    )
  }
  if (m.server) {
    out.push(
      `### Server: every level (each up to ${LEVEL_LIMIT.logins} sign-ins or ${LEVEL_LIMIT.ms / 1000} s; the hold last)`,
      '',
      table(
        'impl c rep done failed mixed-up unsent elapsed logins/s p50 p99'.split(' '),
        [...m.server.runs, m.server.hold].map((r) => [
          r.impl,
          r.concurrency,
          r === m.server!.hold ? 'hold' : r.repetition + 1,
          r.completed,
          r.failed,
          r.mixups,
          r.unsent,
          ms(r.elapsedMs),
          r.perSecond.toFixed(1),
          r.p50.toFixed(1),
          r.p99.toFixed(1),
        ]),
      ),
      '',
    )
  }
  if (m.jssdk) {
    out.push(
      `### JS-SDK signature: cold (${COLD.signatures} over ${COLD.instances} instances, ${COLD.concurrency} at a time each), then warm (up to ${WARM.signatures} or ${WARM.ms / 1000} s each)`,
      '',
      table(
        'side signed failed stable_token token getticket elapsed'.split(' '),
        m.jssdk.cold.map((r) => [
          r.side,
          r.signed,
          r.failed,
          r.stableToken,
          r.token,
          r.getticket,
          ms(r.elapsedMs),
        ]),
      ),
      '',
      table(
        'side rep done failed elapsed p50 p99'.split(' '),
        m.jssdk.warm.map((r) => [
          r.side,
          r.repetition + 1,
          r.completed,
          r.failed,
          ms(r.elapsedMs),
          r.p50.toFixed(1),
          r.p99.toFixed(1),
        ]),
      ),
      '',
    )
  }
  if (m.imports) {
    out.push(
      '### Cold start: every import (ms)',
      '',
      table(
        ['module', 'samples'],
        m.imports.map((i) => [i.name, i.samples.map(Math.round).join(', ')]),
      ),
      '',
    )
  }
  return out
}

function markdown(figures: Figure[], m: Measurements, meta: Record<string, string>): string {
  const failed = figures.filter((f) => f.verdict === 'FAIL')
  const budgets = figures.filter((f) => f.verdict !== 'INFO')
  const out = [
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
  // Figures come in section order.
  for (const section of new Set(figures.map((f) => f.section))) {
    out.push(`## ${section}`, '', figuresTable(figures.filter((f) => f.section === section)), '')
  }
  return [...out, ...details(m)].join('\n')
}

async function git(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, { cwd: PROJECT_DIR })
  return stdout.trim()
}

/** The JS-SDK chunks that the app's index.html names in a `src` or `href`. */
async function jssdkInEntry(): Promise<string[]> {
  const html = await (await fetch(`${APP_URL}/`)).text()
  const paths = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)
  return paths.filter((path) => JSSDK_CHUNK.test(path))
}

let site: string | undefined
let proxy: { close: () => Promise<void> } | undefined

/** Stops what the site phases started; safe to call twice. */
async function cleanUp(): Promise<void> {
  const [running, copy] = [proxy, site]
  proxy = site = undefined
  await running?.close()
  await stopAll()
  if (copy) await removeSite(copy)
}

const step = (text: string) =>
  console.log(`[bench] ${new Date().toISOString().slice(11, 19)} ${text}`)

async function main() {
  const started = Date.now()
  const loadAtStart = loadavg()[0]!.toFixed(2)
  // Read now: others may commit while the bench runs.
  const dirty = (await git('status', '--porcelain')).length > 0
  const revision = `${await git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`
  await mkdir(join(RESULTS_DIR, 'logs'), { recursive: true })
  const m: Measurements = {}
  let chromium = '(not run)'

  if (['bytes', 'time', 'lighthouse', 'imports'].some((phase) => selected.has(phase))) {
    step(
      'copying the working tree with the floor app built in, starting the emulator and netlify serve',
    )
    site = await copySite()
    await startEmulatorProcess(EMULATOR_PORT)
    await startNetlifyServe(site, SERVE_PORT, EMULATOR_URL)
    proxy = await startCompressingProxy(APP_PORT, `http://127.0.0.1:${SERVE_PORT}`)
    const browser = await launchChromium()
    chromium = browser.version()
    try {
      if (selected.has('bytes')) {
        step('bytes and round trips')
        const { bytes: app, roundTrips } = await measureJourney(browser, '')
        const { bytes: floor } = await measureJourney(browser, FLOOR_BASE)
        m.bytes = { app, floor, roundTrips, jssdkInEntry: await jssdkInEntry() }
      }
      if (selected.has('time')) {
        step(`time to profile, ${TIMING_RUNS} runs per side`)
        m.time = await measureCallbackTimes(browser, TIMING_RUNS)
      }
    } finally {
      await browser.close()
    }
    if (selected.has('lighthouse')) {
      step(`lighthouse, ${LIGHTHOUSE_RUNS} runs per page`)
      m.lighthouse = await measureLighthouse(LIGHTHOUSE_RUNS)
    }
    if (selected.has('imports')) {
      step(`cold start, ${IMPORT_RUNS} imports each`)
      m.imports = await measureImports(site, IMPORT_RUNS)
    }
    // The server phase has the machine to itself.
    await cleanUp()
  }
  if (selected.has('server')) {
    step(`server, ${SERVER_REPETITIONS} repetitions, then the hold`)
    m.server = await measureServer(SERVER_REPETITIONS)
  }
  if (selected.has('jssdk')) {
    step(
      `JS-SDK signature, cold across ${COLD.instances} instances, then warm ${JSSDK_REPETITIONS} times`,
    )
    m.jssdk = await measureJssdk(JSSDK_REPETITIONS)
  }

  const figures = figuresOf(m)
  const meta: Record<string, string> = {
    date: new Date(started).toISOString(),
    duration: `${Math.round((Date.now() - started) / 1000)} s`,
    phases: [...selected].join(', '),
    revision,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadAtStart} at start, ${loadavg()[0]!.toFixed(2)} at end`,
    node: process.version,
    chromium,
  }
  await writeFile(join(RESULTS_DIR, 'report.md'), markdown(figures, m, meta) + '\n')
  await writeFile(
    join(RESULTS_DIR, 'report.json'),
    JSON.stringify({ meta, figures, measurements: m }, null, 2) + '\n',
  )
  const failed = figures.filter((f) => f.verdict === 'FAIL')
  step(`report: bench/results/report.md — ${failed.length} budget(s) failed`)
  for (const f of failed) console.log(`[bench]   FAIL ${f.section}: ${f.figure}`)
  process.exitCode = failed.length > 0 ? 1 : 0
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)))
}

main()
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 2
  })
  .finally(cleanUp)
