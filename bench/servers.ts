import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join, normalize, relative, resolve, sep } from 'node:path'
import { promisify } from 'node:util'
import { createGzip } from 'node:zlib'
import { emulatorEnv } from '../scripts/emulator-env.ts'
import { BENCH_DIR, PROJECT_DIR, RESULTS_DIR } from './paths.ts'

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

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      done(true)
    })
  })
}

export async function stopProcess(proc: Started): Promise<void> {
  started.delete(proc)
  const { pid } = proc.child
  if (pid === undefined) return
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) break
    try {
      process.kill(-pid, signal)
    } catch {
      return
    }
    if (await exited(proc.child, 5000)) break
  }
  // Children of npx may outlive their parent for a moment; the group kill reaches them too.
  try {
    process.kill(-pid, 'SIGKILL')
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
export async function waitForUrl(url: string, proc: Started, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${await tail(proc.log)}`)
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`${proc.name} not ready at ${url} after ${ms} ms:\n${await tail(proc.log)}`)
}

/** Tracked files and folders of the working tree that `netlify serve` needs. */
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
 * A throwaway copy of the working tree. `netlify serve` rebuilds dist/ and .netlify/ where
 * it runs; in a copy, an `npm test` or `npm run dev` running in the repository at the same
 * time cannot overwrite them mid-run, and the floor callback page can be added to public/
 * without touching the product. node_modules is hard-linked (a second or two, no space):
 * a symlink would make the functions bundler ship a link instead of the dependencies, and
 * the bundle sizes would miss them.
 */
export async function copySite(extraPublic: Record<string, string>): Promise<string> {
  const site = await mkdtemp(join(tmpdir(), 'wx-bench-site-'))
  await cp(PROJECT_DIR, site, {
    recursive: true,
    filter: (source) => {
      const rel = relative(PROJECT_DIR, source)
      return !SKIP.has(rel.split(sep)[0] ?? '') && !rel.endsWith('.local')
    },
  })
  await promisify(execFile)('cp', ['-al', join(PROJECT_DIR, 'node_modules'), site])
  for (const [path, source] of Object.entries(extraPublic)) {
    const target = join(site, 'public', path)
    await mkdir(resolve(target, '..'), { recursive: true })
    await cp(join(BENCH_DIR, source), target)
  }
  return site
}

export async function removeSite(site: string): Promise<void> {
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

/** `netlify serve` as playwright.config.ts starts it: built SPA, bundled functions. */
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

/** The local Netlify Blobs server in its own process (bench/blobs-server.ts). */
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
      if (match) {
        clearTimeout(timer)
        done(Number(match[1]))
      }
    })
    proc.child.once('exit', (code) => fail(new Error(`blobs server exited with ${code}`)))
  })
  return { proc, port }
}

/**
 * Whether to gzip an answer, as Netlify's CDN does for text: `netlify serve` and a plain
 * Node server send bodies as they are, and a phone on a slow link never would receive them
 * that way. Both sides of every comparison go through this same rule.
 */
function shouldGzip(req: IncomingMessage, contentType: string, encoded: boolean): boolean {
  const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  const text = /^(?:text\/|application\/(?:json|javascript)|image\/svg\+xml)/.test(contentType)
  return accepts && text && !encoded
}

/** Hop-by-hop headers, which a proxy does not pass on. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding']

/** Listens on 127.0.0.1:`port`, answering closeAllConnections() and close(). */
async function listen(server: Server, port: number) {
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', done)
  })
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

/**
 * The CDN in front of `netlify serve`: passes every request through unchanged and gzips
 * text answers on the way back (see `shouldGzip`).
 */
export async function startCompressingProxy(
  port: number,
  target: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers }
        for (const name of HOP_BY_HOP) delete headers[name]
        const type = String(answer.headers['content-type'] ?? '')
        if (!shouldGzip(req, type, Boolean(answer.headers['content-encoding']))) {
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
  return listen(server, port)
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
}

/**
 * A static server for the floor app: files from `root`, index.html for any other page
 * (history-mode router), and `apiAnswer` as JSON for `/api/*`, its one request.
 */
export async function serveStatic(
  root: string,
  port: number,
  apiAnswer: unknown,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    if (path.startsWith('/api/')) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
      res.end(JSON.stringify(apiAnswer))
      return
    }
    const file = normalize(join(root, path))
    const inside = file.startsWith(root + sep)
    void (async () => {
      const isFile = inside && (await stat(file).catch(() => null))?.isFile()
      const target = isFile ? file : join(root, 'index.html')
      const body = await readFile(target)
      const type = TYPES[extname(target)] ?? 'application/octet-stream'
      const gzip = shouldGzip(req, type, false)
      // Same revalidation policy as `netlify serve` answers with, so neither side is cached longer.
      res.writeHead(200, {
        'Content-Type': type,
        'Cache-Control': 'public, max-age=0',
        ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
      })
      if (gzip) createGzip().end(body).pipe(res)
      else res.end(body)
    })().catch(() => {
      res.writeHead(500)
      res.end()
    })
  })
  return listen(server, port)
}
