import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium } from '@playwright/test'
import lighthouse from 'lighthouse'
import { CHROMIUM_FLAGS, CHROMIUM_PATH, WECHAT_ANDROID_UA } from './browser.ts'
import { APP_URL, EMULATOR_URL, RESULTS_DIR } from './paths.ts'
import { startProcess, stopProcess, type Started } from './servers.ts'
import { median } from './stats.ts'

const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const
export type Category = (typeof CATEGORIES)[number]

export interface LighthouseRun {
  url: string
  finalUrl: string
  scores: Record<Category, number>
  metrics: Record<string, number>
  /** Audits that cost points, worst first, and a few diagnostics, for the report. */
  failing: { id: string; title: string; score: number; displayValue?: string; items?: string[] }[]
}

export interface LighthousePage {
  name: string
  url: string
  runs: LighthouseRun[]
  median: Record<Category, number>
}

const AVATAR_HOSTS = ['thirdwx.qlogo.cn', 'wx.qlogo.cn']

/**
 * Lighthouse drives its own page, which Playwright cannot route; the avatar hosts are
 * resolved to this local https server instead (a throwaway self-signed certificate, which
 * only this Chromium, started with --ignore-certificate-errors, accepts). It answers with
 * the emulator's drawings, as the e2e routing does.
 */
async function startAvatarServer(dir: string): Promise<{ server: Server; port: number }> {
  const key = join(dir, 'avatar-key.pem')
  const cert = join(dir, 'avatar-cert.pem')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${AVATAR_HOSTS[0]}`,
    '-addext',
    `subjectAltName=${AVATAR_HOSTS.map((host) => `DNS:${host}`).join(',')}`,
    '-keyout',
    key,
    '-out',
    cert,
  ])
  const server = createServer(
    { key: await readFile(key), cert: await readFile(cert) },
    (req, res) => {
      const { pathname } = new URL(req.url ?? '/', 'https://x')
      fetch(`${EMULATOR_URL}${pathname}`)
        .then(async (response) => {
          res.writeHead(response.status, {
            'Content-Type': response.headers.get('content-type') ?? 'image/svg+xml',
            'Cache-Control': response.headers.get('cache-control') ?? 'no-store',
          })
          res.end(Buffer.from(await response.arrayBuffer()))
        })
        .catch(() => {
          res.writeHead(502)
          res.end()
        })
    },
  )
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('avatar server has no port')
  return { server, port: address.port }
}

/** Chromium with a DevTools port, so Playwright can sign in and Lighthouse can then audit. */
async function launchDebuggableChromium(
  profile: string,
  avatarPort: number,
): Promise<{ proc: Started; port: number }> {
  const rules = [
    ...AVATAR_HOSTS.map((host) => `MAP ${host} 127.0.0.1:${avatarPort}`),
    // Anything else that is not this machine resolves nowhere: nothing leaves the machine.
    'MAP * ~NOTFOUND',
    'EXCLUDE localhost',
    'EXCLUDE 127.0.0.1',
  ].join(', ')
  const proc = startProcess(
    'lighthouse-chromium',
    CHROMIUM_PATH,
    [
      ...CHROMIUM_FLAGS,
      '--headless=new',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      `--host-resolver-rules=${rules}`,
      '--ignore-certificate-errors',
      `--user-agent=${WECHAT_ANDROID_UA}`,
      'about:blank',
    ],
    { cwd: tmpdir(), env: process.env },
  )
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const text = await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '')
    const port = Number(text.split('\n')[0])
    if (port > 0) return { proc, port }
    if (proc.child.exitCode !== null) break
    await new Promise((done) => setTimeout(done, 200))
  }
  await stopProcess(proc)
  throw new Error('chromium did not open its DevTools port')
}

/** A real sign-in through the emulator in Chromium's default profile: cookie and hint stay. */
async function signIn(port: number): Promise<void> {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`)
  try {
    const context = browser.contexts()[0]
    if (!context) throw new Error('no default context')
    const page = await context.newPage()
    await page.goto(`${APP_URL}/profile`)
    await page.getByRole('button', { name: '允许' }).click()
    // The app's page, not the callback page's early head: the app marks the browser as
    // signed in (the hint a reload of /profile reads) when it takes the sign-in over.
    await page.getByTestId('openid').waitFor()
    await page.close()
  } finally {
    await browser.close()
  }
}

/** Unweighted audits that explain a performance score. */
const DIAGNOSTICS = [
  'largest-contentful-paint-element',
  'unused-javascript',
  'render-blocking-resources',
]

/** The elements or URLs an audit names, at most three. */
function itemsOf(details: unknown): string[] {
  const found: string[] = []
  const visit = (value: unknown) => {
    if (found.length >= 3 || typeof value !== 'object' || value === null) return
    const record = value as Record<string, unknown>
    const node = record.node as { snippet?: string } | undefined
    if (node?.snippet) found.push(node.snippet)
    else if (typeof record.url === 'string' && record.url) found.push(record.url)
    else for (const child of Object.values(record)) visit(child)
  }
  visit((details as { items?: unknown } | undefined)?.items)
  return found
}

/** Where each run's whole Lighthouse report goes, for what the summary leaves out. */
const REPORTS_DIR = join(RESULTS_DIR, 'logs', 'lighthouse')

async function audit(port: number, url: string, saveAs: string): Promise<LighthouseRun> {
  // Defaults otherwise: mobile form factor, simulated throttling, HTTP cache cleared per
  // run. Lighthouse 12 keeps cookies and localStorage, so a signed-in profile stays so.
  const result = await lighthouse(url, {
    port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: [...CATEGORIES],
    emulatedUserAgent: WECHAT_ANDROID_UA,
  })
  if (!result) throw new Error(`lighthouse returned nothing for ${url}`)
  const { lhr } = result
  await mkdir(REPORTS_DIR, { recursive: true })
  await writeFile(join(REPORTS_DIR, `${saveAs}.json`), JSON.stringify(lhr))
  if (lhr.runtimeError) throw new Error(`lighthouse ${url}: ${lhr.runtimeError.message}`)
  const scores = {} as Record<Category, number>
  for (const id of CATEGORIES) scores[id] = Math.round((lhr.categories[id]?.score ?? 0) * 100)
  const metrics: Record<string, number> = {}
  for (const id of [
    'first-contentful-paint',
    'largest-contentful-paint',
    'speed-index',
    'total-blocking-time',
    'cumulative-layout-shift',
  ]) {
    const value = lhr.audits[id]?.numericValue
    if (value !== undefined) metrics[id] = value
  }
  const weighted = Object.values(lhr.categories).flatMap((category) =>
    category.auditRefs.filter((ref) => ref.weight > 0).map((ref) => ref.id),
  )
  const failing = [...new Set([...weighted, ...DIAGNOSTICS])]
    .map((id) => lhr.audits[id])
    .filter((a) => a !== undefined && a.score !== null && a.score < 1)
    .map((a) => ({
      id: a!.id,
      title: a!.title,
      score: a!.score ?? 0,
      ...(a!.displayValue ? { displayValue: a!.displayValue } : {}),
      items: itemsOf(a!.details),
    }))
    .sort((x, y) => x.score - y.score)
  if (!lhr.finalDisplayedUrl.startsWith(url)) {
    throw new Error(`lighthouse ended on ${lhr.finalDisplayedUrl}, not ${url}`)
  }
  return { url, finalUrl: lhr.finalDisplayedUrl, scores, metrics, failing }
}

function summarize(name: string, url: string, runs: LighthouseRun[]): LighthousePage {
  const med = {} as Record<Category, number>
  for (const id of CATEGORIES) med[id] = median(runs.map((run) => run.scores[id]))
  return { name, url, runs, median: med }
}

/**
 * Lighthouse on the app's `/` (first visit) and `/profile` (signed in), each beside the
 * floor app's page of the same name, alternating, `runs` times each.
 */
export async function measureLighthouse(floorUrl: string, runs: number): Promise<LighthousePage[]> {
  const dir = await mkdtemp(join(tmpdir(), 'wx-bench-lh-'))
  const { server, port: avatarPort } = await startAvatarServer(dir)
  let chrome: Started | undefined
  try {
    const launched = await launchDebuggableChromium(join(dir, 'profile'), avatarPort)
    chrome = launched.proc
    const pages: [string, string][] = [
      ['app /', `${APP_URL}/`],
      ['floor /', `${floorUrl}/`],
      ['app /profile (signed in)', `${APP_URL}/profile`],
      ['floor /profile', `${floorUrl}/profile`],
    ]
    const results = new Map<string, LighthouseRun[]>(pages.map(([name]) => [name, []]))
    for (const [phase, names] of [
      ['anonymous', ['app /', 'floor /']],
      ['signed in', ['app /profile (signed in)', 'floor /profile']],
    ] as const) {
      if (phase === 'signed in') await signIn(launched.port)
      for (let i = 0; i < runs; i++) {
        // Alternate which side goes first, so drift on a busy machine hits both alike.
        const order = i % 2 === 0 ? names : [...names].reverse()
        for (const name of order) {
          const url = pages.find(([n]) => n === name)![1]
          const saveAs = `${name.replace(/\W+/g, '-').replace(/^-|-$/g, '')}-${i + 1}`
          results.get(name)!.push(await audit(launched.port, url, saveAs))
        }
      }
    }
    return pages.map(([name, url]) => summarize(name, url, results.get(name)!))
  } finally {
    if (chrome) await stopProcess(chrome)
    await new Promise((done) => server.close(done))
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
  }
}
