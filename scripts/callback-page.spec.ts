import { describe, expect, it } from 'vitest'
import { build, type Rollup } from 'vite'
import { SIGNING_IN_SHELL } from '../src/auth/callback.ts'
import { COMPILE_HINT } from './compile-hints.ts'

/**
 * The production build of the two pages, in memory: what the browser is told to fetch on
 * WeChat's callback, and in which order. (e2e signs in through it; this pins its shape.)
 */
async function buildSite(): Promise<Map<string, string>> {
  const result = (await build({
    configFile: 'vite.config.ts',
    logLevel: 'silent',
    build: { write: false },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[]
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((o) => o.output)
  return new Map(
    outputs.map((o) => [o.fileName, o.type === 'asset' ? String(o.source) : o.code] as const),
  )
}

/** One build for every test here: it takes seconds. */
let built: Promise<Map<string, string>> | undefined
const siteFiles = () => (built ??= buildSite())

describe('callback.html in a build', () => {
  it('runs a standalone arrival script first and preloads the sign-in pages', async () => {
    const files = await siteFiles()
    const page = files.get('callback.html') ?? ''
    const scripts = [...page.matchAll(/<script type="module" crossorigin src="\/([^"]+)"/g)].map(
      (match) => match[1],
    )
    expect(scripts).toHaveLength(2)
    expect(scripts[0]).toMatch(/^assets\/arrival-[\w-]{8}\.js$/)
    expect(scripts[1]).toMatch(/^assets\/index-[\w-]+\.js$/)
    const preloads = [...page.matchAll(/<link rel="modulepreload" crossorigin href="\/([^"]+)"/g)]
      .map((match) => match[1])
      .sort()
    expect(preloads).toEqual([
      expect.stringMatching(/^assets\/ProfileView-[\w-]+\.js$/),
      expect.stringMatching(/^assets\/SignInView-[\w-]+\.js$/),
    ])

    const styles = [...page.matchAll(/<link rel="stylesheet" crossorigin href="\/([^"]+)"/g)].map(
      (match) => match[1],
    )
    expect(styles).toEqual([
      expect.stringMatching(/^assets\/index-[\w-]+\.css$/),
      expect.stringMatching(/^assets\/ProfileView-[\w-]+\.css$/),
    ])

    // The arrival script waits for nothing: no import of the app's chunks.
    const arrival = files.get(scripts[0]!) ?? ''
    expect(arrival).not.toMatch(/\bimport\b/)
    expect(arrival).toContain('/auth/callback')
    expect(arrival).toContain('wechat-login:arrival')

    // 正在登录… from the HTML, until the app replaces it.
    expect(page).toContain(`<div id="app">${SIGNING_IN_SHELL}</div>`)

    // Every other page gets the app alone.
    const index = files.get('index.html') ?? ''
    expect(index).toContain(`src="/${scripts[1]}"`)
    expect(index).not.toContain('arrival-')
    expect(index).not.toContain('modulepreload')
    expect(index).toContain('<div id="app"></div>')
  }, 60_000)
})

describe('compile hints in a build', () => {
  it('mark the entry chunk alone, on its first line', async () => {
    const files = await siteFiles()
    const hinted = [...files]
      .filter(([, code]) => code.includes(COMPILE_HINT))
      .map(([name]) => name)
    expect(hinted).toEqual([expect.stringMatching(/^assets\/index-[\w-]+\.js$/)])
    expect(files.get(hinted[0]!)!.split('\n')[0]).toBe('//# allFunctionsCalledOnLoad')
    // The entry is what both pages start: the hint reaches every page load.
    expect(files.get('index.html')).toContain(`src="/${hinted[0]}"`)
    expect(files.get('callback.html')).toContain(`src="/${hinted[0]}"`)
  }, 60_000)
})
