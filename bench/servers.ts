import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { promisify } from 'node:util'
import { createGzip } from 'node:zlib'
import { build } from 'vite'
import { createEmulator, type Emulator } from '../emulator/server.ts'
import type { BlobsLocation } from '../netlify/lib/stores.ts'
import { emulatorEnv } from '../scripts/emulator-env.ts'
import { forgetSiteStore } from '../scripts/site-blobs.ts'
import { BENCH_DIR, EMULATOR_URL, FLOOR_BASE, PROJECT_DIR, RESULTS_DIR } from './paths.ts'

/** A process this run started, killed as a group so npx's children go with it. */
export interface Started {
  readonly name: string
  readonly child: ChildProcess
  readonly log: string
}

const started = new Set<Started>()

/** Starts a process tracked for `stopAll`, its output in results/logs/NAME.log. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Started {
  const log = join(RESULTS_DIR, 'logs', `${name}.log`)
  const out = createWriteStream(log)
  // detached: its own process group, so one kill reaches npx and everything it spawned.
  const child = spawn(command, args, {
    ...options,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.pipe(out)
  child.stderr?.pipe(out)
  const proc = { name, child, log }
  started.add(proc)
  return proc
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

export async function stopProcess(proc: Started): Promise<void> {
  started.delete(proc)
  const { child } = proc
  if (child.pid === undefined) return
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (!isRunning(child)) break
    try {
      process.kill(-child.pid, signal)
    } catch {
      return
    }
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 5000)
      child.once('exit', () => {
        clearTimeout(timer)
        done()
      })
    })
  }
  // npx's children may outlive it for a moment; the group kill reaches them too.
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // The group is gone.
  }
}

/** Stops every process this run started; safe to call twice. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map(stopProcess))
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').slice(-20).join('\n')
}

/** Polls `url` until it answers 2xx, the process dies, or `ms` pass. */
async function waitForUrl(url: string, proc: Started, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!isRunning(proc.child)) {
      throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${await tail(proc.log)}`)
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`${proc.name} not ready at ${url} after ${ms} ms:\n${await tail(proc.log)}`)
}

/** What `netlify serve` does not need from the working tree. */
const SKIP = new Set([
  'node_modules',
  '.git',
  'dist',
  '.netlify',
  'bench',
  'test-results',
  'reports',
  'playwright-report',
  'coverage',
])

/**
 * A throwaway copy of the working tree, for `netlify serve` to build and serve, with the
 * references added: the floor app built under /floor/ and the physical-limit page under
 * /limit/. On the app's own origin, they call the same functions the app does.
 *
 * In a copy, an `npm test` or `npm run dev` running in the repository at the same time cannot
 * overwrite dist/ or .netlify/ mid-run. node_modules is hard-linked (a second, no space): a
 * symlink would make the functions bundler ship a link instead of the dependencies.
 */
export async function copySite(): Promise<string> {
  const site = await mkdtemp(join(tmpdir(), 'wx-bench-site-'))
  await cp(PROJECT_DIR, site, {
    recursive: true,
    filter: (source) => {
      const rel = relative(PROJECT_DIR, source)
      return !SKIP.has(rel.split(sep)[0] ?? '') && !rel.endsWith('.local')
    },
  })
  await promisify(execFile)('cp', ['-al', join(PROJECT_DIR, 'node_modules'), site])
  // As any Vite app takes its settings: VITE_ variables at build time.
  const wechat = emulatorEnv(EMULATOR_URL)
  process.env.VITE_WECHAT_APPID = wechat.WECHAT_APPID
  process.env.VITE_WECHAT_OAUTH_URL = wechat.WECHAT_OAUTH_URL
  // public/ is copied into dist/ as it is by the app's build.
  await build({
    configFile: join(BENCH_DIR, 'floor', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: join(site, 'public', FLOOR_BASE), emptyOutDir: true },
  })
  await cp(join(BENCH_DIR, 'limit'), join(site, 'public', 'limit'), { recursive: true })
  // The floor's own history fallback; _redirects goes before netlify.toml's `/*`.
  await writeFile(join(site, '_redirects'), `${FLOOR_BASE}/*  ${FLOOR_BASE}/index.html  200\n`)
  servedSite = site
  return site
}

/** The copy `netlify serve` is serving, for `forgetSiteUsers`. */
let servedSite: string | undefined

/**
 * Makes the site forget every person: the `users` and `avatars` stores of the copy's local
 * Blobs (`.netlify/blobs-serve`, files read at each request) are deleted. The next sign-in
 * of any test user is then a first one: a silent code answers 422 `profile_required`.
 */
export async function forgetSiteUsers(): Promise<void> {
  if (!servedSite) throw new Error('no site is being served')
  const site = servedSite
  await Promise.all((['users', 'avatars'] as const).map((store) => forgetSiteStore(store, site)))
}

export async function removeSite(site: string): Promise<void> {
  if (site === servedSite) servedSite = undefined
  if (site.startsWith(join(tmpdir(), 'wx-bench-site-'))) {
    await rm(site, { recursive: true, force: true })
  }
}

/** The emulator as playwright.config.ts starts it: its CLI, desktop browsers refused. */
export async function startEmulatorProcess(port: number): Promise<Started> {
  const proc = startProcess('emulator', 'npx', ['tsx', 'emulator/cli.ts'], {
    cwd: PROJECT_DIR,
    env: { ...process.env, EMULATOR_PORT: String(port), EMULATOR_ALLOW_DESKTOP: '0' },
  })
  await waitForUrl(`http://127.0.0.1:${port}/__emulator/health`, proc, 30_000)
  return proc
}

/** `netlify serve` as playwright.config.ts starts it: the built site, bundled functions. */
export async function startNetlifyServe(
  site: string,
  port: number,
  emulatorUrl: string,
): Promise<Started> {
  const proc = startProcess(
    'netlify-serve',
    'npx',
    ['netlify', 'serve', '--offline', '--internal-disable-edge-functions', '--port', String(port)],
    { cwd: site, env: { ...process.env, ...emulatorEnv(emulatorUrl), BROWSER: 'none' } },
  )
  await waitForUrl(`http://localhost:${port}/`, proc, 240_000)
  return proc
}

/**
 * The local Netlify Blobs server in its own process (bench/blobs-server.ts), as Blobs is a
 * service apart from the function: its work stays off the event loop being measured.
 */
export async function startBlobsProcess(
  directory: string,
  token: string,
): Promise<{ proc: Started; port: number }> {
  const proc = startProcess('blobs', 'npx', ['tsx', 'bench/blobs-server.ts', directory, token], {
    cwd: PROJECT_DIR,
    env: process.env,
  })
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('blobs server did not start')), 30_000)
    let text = ''
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const match = /\{"port":(\d+)\}/.exec(text)
      if (!match) return
      clearTimeout(timer)
      done(Number(match[1]))
    })
    proc.child.once('exit', (code) => fail(new Error(`blobs server exited with ${code}`)))
  })
  return { proc, port }
}

/** What the server-side phases measure against. */
export interface Backends {
  emulator: Emulator
  /** How Netlify connects functions to Blobs: edge URLs, one request a call. */
  location: BlobsLocation
  /** The functions' environment, pointed at the emulator. */
  vars: Record<string, string>
}

/**
 * An in-process emulator and a local Blobs server in its own process (startBlobsProcess), for
 * the length of `run`; both are stopped, and the Blobs directory removed, after it.
 */
export async function withBackends<T>(run: (backends: Backends) => Promise<T>): Promise<T> {
  const emulator = await createEmulator({ port: 0, quiet: true })
  const blobsDir = await mkdtemp(join(tmpdir(), 'wx-bench-blobs-'))
  let blobs: Started | undefined
  try {
    const token = 'bench-token'
    const server = await startBlobsProcess(blobsDir, token)
    blobs = server.proc
    const url = `http://127.0.0.1:${server.port}`
    const location: BlobsLocation = { siteID: 'bench', token, edgeURL: url, uncachedEdgeURL: url }
    return await run({ emulator, location, vars: emulatorEnv(emulator.url) })
  } finally {
    await emulator.close()
    if (blobs) await stopProcess(blobs)
    await rm(blobsDir, { recursive: true, force: true })
  }
}

/** Hop-by-hop headers, which a proxy does not pass on. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding']

/**
 * The CDN in front of `netlify serve`, which sends bodies uncompressed: Netlify's CDN gzips
 * text, and on a throttled link the difference is seconds. Passes every request through and
 * gzips text answers on the way back; app and references alike, as they share the origin.
 */
export async function startCompressingProxy(port: number, target: string) {
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers }
        for (const name of HOP_BY_HOP) delete headers[name]
        const type = String(answer.headers['content-type'] ?? '')
        const gzip =
          /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) &&
          /^(?:text\/|application\/(?:json|javascript)|image\/svg\+xml)/.test(type) &&
          !answer.headers['content-encoding']
        if (!gzip) {
          res.writeHead(answer.statusCode ?? 502, headers)
          answer.pipe(res)
          return
        }
        // The gzipped body has a length of its own, unknown until it is sent.
        delete headers['content-length']
        res.writeHead(answer.statusCode ?? 502, {
          ...headers,
          'content-encoding': 'gzip',
          vary: 'Accept-Encoding',
        })
        answer.pipe(createGzip()).pipe(res)
      },
    )
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', done)
  })
  return {
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}
