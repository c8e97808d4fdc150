import { execFile } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { PROJECT_DIR } from './paths.ts'
import { median } from './stats.ts'

export interface FunctionBundle {
  name: string
  /** The function's own files: its module and the dependencies traced into the bundle. */
  files: number
  bytes: number
  /** Sum of each file gzipped with zlib level 9. */
  gzip: number
  /** The deploy artifact, which also carries Netlify's runtime (the same for every function). */
  zipBytes: number
  importMs: number[]
  importMedian: number
}

export interface FunctionsResult {
  functions: FunctionBundle[]
  reference: { name: string; importMs: number[]; importMedian: number }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

/** ms to import `specifier` in a fresh Node process, timed inside it (startup excluded). */
async function importTime(specifier: string, cwd: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t))`
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    { cwd, timeout: 30_000 },
  )
  return Number(stdout)
}

/**
 * The functions as `netlify serve` bundled them (.netlify/functions-serve/.unzipped/NAME,
 * unpacked from .netlify/functions/NAME.zip): sizes, and the time to import each one's
 * module in a fresh process, `runs` times, alternating with the reference import.
 */
export async function measureFunctions(site: string, runs: number): Promise<FunctionsResult> {
  const root = join(site, '.netlify', 'functions-serve', '.unzipped')
  const names = (await readdir(root)).sort()
  const functions: FunctionBundle[] = []
  const reference = { name: 'node-webot wechat-oauth', importMs: [] as number[], importMedian: 0 }
  for (const name of names) {
    const dir = join(root, name)
    // ___netlify-* files are Netlify's bootstrap and telemetry, the same in every function.
    const files = (await filesUnder(dir)).filter(
      (file) => !relative(dir, file).startsWith('___netlify-'),
    )
    let bytes = 0
    let gzip = 0
    for (const file of files) {
      const body = await readFile(file)
      bytes += body.length
      gzip += gzipSync(body, { level: 9 }).length
    }
    const zip = await stat(join(site, '.netlify', 'functions', `${name}.zip`)).catch(() => null)
    const entry = pathToFileURL(join(dir, 'netlify', 'functions', `${name}.mjs`)).href
    const importMs: number[] = []
    // One import first, discarded: the figure is a cold process, not a cold disk cache.
    await importTime(entry, dir)
    if (functions.length === 0) await importTime('wechat-oauth', PROJECT_DIR)
    for (let i = 0; i < runs; i++) {
      importMs.push(await importTime(entry, dir))
      reference.importMs.push(await importTime('wechat-oauth', PROJECT_DIR))
    }
    functions.push({
      name,
      files: files.length,
      bytes,
      gzip,
      zipBytes: zip?.size ?? 0,
      importMs,
      importMedian: median(importMs),
    })
  }
  reference.importMedian = median(reference.importMs)
  return { functions, reference }
}
