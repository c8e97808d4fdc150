import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium } from '@playwright/test'
import lighthouse from 'lighthouse'
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '../e2e/chromium.ts'
import { WECHAT_ANDROID_UA } from '../playwright.config.ts'
import { SIGN_IN_TAP } from './browser.ts'
import { APP_URL, EMULATOR_URL, FLOOR_BASE, RESULTS_DIR } from './paths.ts'
import { startProcess, stopProcess, type Started } from './servers.ts'
import { median } from './stats.ts'

const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const
export type Category = (typeof CATEGORIES)[number]

export interface LighthouseRun {
  scores: Record<Category, number>
  /** FCP, LCP and TBT in ms, to read a score by. */
  metrics: Record<string, number>
}

export interface LighthousePage {
  route: '/' | '/profile'
  side: 'app' | 'floor'
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
  const names = AVATAR_HOSTS.map((host) => `DNS:${host}`).join(',')
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=bench'],
    ...['-addext', `subjectAltName=${names}`, '-keyout', key, '-out', cert],
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
    CHROMIUM_EXECUTABLE,
    [
      ...CHROMIUM_ARGS,
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

/** A real sign-in through the emulator in Chromium's default profile, where its cookie stays. */
async function signIn(port: number): Promise<void> {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`)
  try {
    const context = browser.contexts()[0]
    if (!context) throw new Error('no default context')
    const page = await context.newPage()
    // 微信授权登录, as a person signs in: silently if the site knows the test user from an
    // earlier phase, through the consent sheet (or WeChat's remembered consent) if not.
    await page.goto(`${APP_URL}/`)
    await page.getByRole('link', { name: SIGN_IN_TAP }).click()
    const allow = page.getByRole('button', { name: '允许' })
    const openid = page.getByTestId('openid')
    await allow.or(openid).first().waitFor()
    if (await allow.isVisible()) await allow.click()
    await openid.waitFor()
    await page.close()
  } finally {
    await browser.close()
  }
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
  for (const id of ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time']) {
    const value = lhr.audits[id]?.numericValue
    if (value !== undefined) metrics[id] = value
  }
  if (!lhr.finalDisplayedUrl.startsWith(url)) {
    throw new Error(`lighthouse ended on ${lhr.finalDisplayedUrl}, not ${url}`)
  }
  return { scores, metrics }
}

/**
 * Lighthouse on the app's `/` (a first visit) and `/profile` (signed in), each beside the
 * floor app's page of the same name, `runs` times each, the side going first alternating.
 */
export async function measureLighthouse(runs: number): Promise<LighthousePage[]> {
  const dir = await mkdtemp(join(tmpdir(), 'wx-bench-lh-'))
  const { server, port: avatarPort } = await startAvatarServer(dir)
  let chrome: Started | undefined
  try {
    const launched = await launchDebuggableChromium(join(dir, 'profile'), avatarPort)
    chrome = launched.proc
    const pages: LighthousePage[] = []
    for (const route of ['/', '/profile'] as const) {
      if (route === '/profile') await signIn(launched.port)
      const sides = (['app', 'floor'] as const).map((side) => ({
        route,
        side,
        runs: [] as LighthouseRun[],
      }))
      for (let i = 0; i < runs; i++) {
        for (const page of i % 2 === 0 ? sides : [...sides].reverse()) {
          const url = `${APP_URL}${page.side === 'floor' ? FLOOR_BASE : ''}${route}`
          const saveAs = `${page.side}${route.replace('/', '-')}-${i + 1}`
          page.runs.push(await audit(launched.port, url, saveAs))
        }
      }
      for (const { side, runs } of sides) {
        const med = {} as Record<Category, number>
        for (const id of CATEGORIES) med[id] = median(runs.map((run) => run.scores[id]))
        pages.push({ route, side, runs, median: med })
      }
    }
    return pages
  } finally {
    if (chrome) await stopProcess(chrome)
    await new Promise((done) => server.close(done))
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
  }
}
