import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { PROJECT_DIR } from './paths.ts'
import { median } from './stats.ts'

export interface ImportTimes {
  name: string
  samples: number[]
  median: number
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
 * Each function as `netlify serve` bundled it (.netlify/functions-serve/.unzipped/NAME, what
 * .netlify/functions/NAME.zip holds), imported in a fresh process `runs` times, alternating
 * with an import of wechat-oauth from the project. The reference comes last.
 */
export async function measureImports(site: string, runs: number): Promise<ImportTimes[]> {
  const root = join(site, '.netlify', 'functions-serve', '.unzipped')
  const subjects: [name: string, specifier: string, cwd: string][] = (await readdir(root))
    .sort()
    .map((name) => {
      const dir = join(root, name)
      return [name, pathToFileURL(join(dir, 'netlify', 'functions', `${name}.mjs`)).href, dir]
    })
  subjects.push(['wechat-oauth', 'wechat-oauth', PROJECT_DIR])
  const samples = subjects.map(() => [] as number[])
  // One round first, discarded: the figure is a cold process, not a cold disk cache.
  for (const [, specifier, cwd] of subjects) await importTime(specifier, cwd)
  for (let i = 0; i < runs; i++) {
    for (const [j, [, specifier, cwd]] of subjects.entries()) {
      samples[j]!.push(await importTime(specifier, cwd))
    }
  }
  return subjects.map(([name], j) => ({ name, samples: samples[j]!, median: median(samples[j]!) }))
}
