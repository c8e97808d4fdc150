import { JSDOM, ResourceLoader, VirtualConsole } from 'jsdom'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from './server'
import {
  authorizeUrl,
  DESKTOP_CHROME_UA,
  startEmulator,
  validParams,
  WECHAT_IOS_UA,
} from './test-support/index.ts'

const emulator: Emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

/** Script errors of every page: a page that throws fails its test. */
const scriptErrors: string[] = []
afterEach(() => {
  const errors = scriptErrors.splice(0)
  if (errors.length > 0) throw new Error(`page scripts failed: ${errors.join('; ')}`)
})

/**
 * Loads a page the way a browser would, scripts included, at a URL with or without the
 * fragment. jsdom cannot navigate to another document: a navigation shows up as its
 * "Not implemented: navigation" error, which is what these tests wait for.
 */
async function open(url: string, userAgent = WECHAT_IOS_UA) {
  const html = await (await fetch(url, { headers: { 'User-Agent': userAgent } })).text()
  const navigations: string[] = []
  const virtualConsole = new VirtualConsole()
  virtualConsole.on('jsdomError', (error) => {
    if (error.message.startsWith('Not implemented: navigation')) navigations.push(error.message)
    else scriptErrors.push(error.message)
  })
  const dom = new JSDOM(html, {
    url,
    runScripts: 'dangerously',
    resources: new ResourceLoader({ userAgent }),
    virtualConsole,
  })
  const { document } = dom.window
  return {
    document,
    window: dom.window,
    navigations,
    errorView: () => ({
      errcode: document.querySelector('[data-errcode]')?.getAttribute('data-errcode') ?? null,
      text: document.querySelector('.msg-text')?.textContent ?? null,
    }),
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(condition()).toBe(true)
}

const HASH = '#wechat_redirect'

describe('the silent redirect page', () => {
  const link = () => authorizeUrl(emulator.url, validParams({ scope: 'snsapi_base' }))

  it('leaves for the app when the link ends in #wechat_redirect', async () => {
    const page = await open(link() + HASH)

    expect(page.navigations).toEqual(['Not implemented: navigation to another Document'])
    expect(page.errorView()).toEqual({ errcode: null, text: null })
  })

  it('shows an error and stays when #wechat_redirect is missing', async () => {
    const page = await open(link())

    expect(page.navigations).toEqual([])
    expect(page.errorView()).toEqual({ errcode: 'missing-hash', text: '链接缺少 #wechat_redirect' })
  })

  it('also insists on exactly #wechat_redirect', async () => {
    const page = await open(`${link()}#wechat`)

    expect(page.errorView().errcode).toBe('missing-hash')
  })
})

describe('the consent sheet', () => {
  const link = () => authorizeUrl(emulator.url, validParams())

  it('shows an error instead of the sheet when #wechat_redirect is missing', async () => {
    const page = await open(link())

    expect(page.errorView()).toEqual({ errcode: 'missing-hash', text: '链接缺少 #wechat_redirect' })
    expect(page.document.querySelector('button[data-decision]')).toBeNull()
  })

  it('sends 允许 with the chosen user and leaves with location.replace', async () => {
    const page = await open(link() + HASH)
    page.document.querySelector<HTMLInputElement>('input[value="emoji"]')?.click()
    page.document.querySelector<HTMLButtonElement>('button[data-decision="allow"]')?.click()

    await until(() => page.navigations.length > 0)
    expect(emulator.log().at(-1)).toMatchObject({
      endpoint: 'confirm',
      query: { user: 'emoji', decision: 'allow', state: 'xyz123' },
    })
    expect(emulator.log().at(-1)?.errcode).toBeUndefined()
    expect(page.errorView().errcode).toBeNull()
  })

  it('sends 拒绝 with the preselected user', async () => {
    emulator.setNextUser('no-avatar')
    const page = await open(link() + HASH)
    page.document.querySelector<HTMLButtonElement>('button[data-decision="deny"]')?.click()

    await until(() => page.navigations.length > 0)
    expect(emulator.log().at(-1)).toMatchObject({
      endpoint: 'confirm',
      query: { user: 'no-avatar', decision: 'deny' },
    })
  })

  it('shows the error the emulator answers instead of leaving', async () => {
    const page = await open(link() + HASH)
    emulator.setConfig({ domain: 'app.example.com' })
    page.document.querySelector<HTMLButtonElement>('button[data-decision="allow"]')?.click()

    await until(() => page.errorView().errcode !== null)
    expect(page.errorView()).toEqual({
      errcode: '10003',
      text: 'redirect_uri域名与后台配置不一致，错误码：10003',
    })
    expect(page.navigations).toEqual([])
  })
})

describe('the "open in WeChat" page', () => {
  it('sets the desktop cookie and reloads when 「继续（仅限开发环境）」 is pressed', async () => {
    emulator.setConfig({ allowDesktop: true })
    const page = await open(authorizeUrl(emulator.url, validParams()) + HASH, DESKTOP_CHROME_UA)
    page.document.querySelector<HTMLButtonElement>('#desktop-continue')?.click()

    expect(page.document.cookie).toBe('emulator_desktop=1')
    expect(page.navigations).toEqual(['Not implemented: navigation to another Document'])
  })
})
