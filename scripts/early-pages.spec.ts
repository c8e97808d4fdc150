import { beforeAll, describe, expect, it } from 'vitest'
import { build, type Rollup } from 'vite'
import { SIGNING_IN_SHELL } from './early-pages.ts'

/**
 * The production build, in memory: what the browser is told to fetch on each page, and in
 * which order. (e2e signs in through these pages; this pins their shape.)
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

const all = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1]!)
const scriptsOf = (html: string) => all(html, /<script type="module" crossorigin src="\/([^"]+)"/g)
const preloadsOf = (html: string) =>
  all(html, /<link rel="modulepreload" crossorigin href="\/([^"]+)"/g).sort()
const stylesOf = (html: string) => all(html, /<link rel="stylesheet" crossorigin href="\/([^"]+)"/g)

describe('the pages of a build', () => {
  let files: Map<string, string>
  beforeAll(async () => {
    files = await buildSite()
  }, 60_000)

  it('callback.html: the arrival script first, the sign-in views preloaded, 正在登录… shown', () => {
    const page = files.get('callback.html') ?? ''
    const scripts = scriptsOf(page)
    expect(scripts).toEqual([
      expect.stringMatching(/^assets\/arrival-[\w-]{8}\.js$/),
      expect.stringMatching(/^assets\/index-[\w-]+\.js$/),
    ])
    expect(preloadsOf(page)).toEqual([
      expect.stringMatching(/^assets\/ProfileView-[\w-]+\.js$/),
      expect.stringMatching(/^assets\/SignInView-[\w-]+\.js$/),
    ])
    expect(stylesOf(page)).toEqual([
      expect.stringMatching(/^assets\/index-[\w-]+\.css$/),
      expect.stringMatching(/^assets\/ProfileView-[\w-]+\.css$/),
    ])
    expect(page).toContain(`<div id="app">${SIGNING_IN_SHELL}</div>`)
  })

  it('profile.html: the same arrival script first, the profile view preloaded', () => {
    const page = files.get('profile.html') ?? ''
    const callbackScripts = scriptsOf(files.get('callback.html') ?? '')
    expect(scriptsOf(page)).toEqual(callbackScripts)
    expect(preloadsOf(page)).toEqual([expect.stringMatching(/^assets\/ProfileView-[\w-]+\.js$/)])
    expect(stylesOf(page)).toEqual([
      expect.stringMatching(/^assets\/index-[\w-]+\.css$/),
      expect.stringMatching(/^assets\/ProfileView-[\w-]+\.css$/),
    ])
    expect(page).toContain('<div id="app"></div>')
  })

  it('bundles the arrival script apart: it waits for none of the app’s chunks', () => {
    const [arrivalFile] = scriptsOf(files.get('callback.html') ?? '')
    const arrival = files.get(arrivalFile!) ?? ''
    expect(arrival).not.toMatch(/\bimport\b/)
    expect(arrival).toContain('/auth/callback')
    expect(arrival).toContain('/session')
    expect(arrival).toContain('wechat-login:arrival')
    expect(arrival).toContain('wechat-login:early-session')
  })

  it('index.html (every other path) gets the app alone', () => {
    const index = files.get('index.html') ?? ''
    const [, app] = scriptsOf(files.get('callback.html') ?? '')
    expect(scriptsOf(index)).toEqual([app])
    expect(preloadsOf(index)).toEqual([])
    expect(stylesOf(index)).toEqual([expect.stringMatching(/^assets\/index-[\w-]+\.css$/)])
    expect(index).toContain('<div id="app"></div>')
  })
})
