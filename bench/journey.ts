import { gzipSync } from 'node:zlib'
import type { Browser, Page, Response } from '@playwright/test'
import { consentAndHoldCallback, disableCache, newWechatContext } from './browser.ts'
import { APP_URL, EMULATOR_URL, FLOOR_BASE } from './paths.ts'

export interface Asset {
  path: string
  /** The body gzipped with zlib level 9, whatever encoding it travelled in. */
  gzip: number
  /** Loaded for the JS-SDK's share card, inside WeChat only, after the page is on screen. */
  jssdk: boolean
}

/**
 * The chunks of the JS-SDK (src/wechat/): its set-up (`share`), the SDK (`sdk`), and Rollup's
 * CommonJS helper that the SDK, a CommonJS package, brings in. They are not part of the
 * sign-in, and the floor app has no JS-SDK, so the sign-in's budget leaves them out and the
 * report shows them on their own.
 */
export const JSSDK_CHUNK = /^\/assets\/(?:share|sdk|_commonjsHelpers)-[\w-]+\.js$/

/** The request for the share card's signature, not part of the sign-in either. */
const JSSDK_CONFIG = `${APP_URL}/api/wechat/jssdk-config`

export type Route = '/' | '/profile (signed in)' | '/auth/callback'

export interface PageBytes {
  route: Route
  assets: Asset[]
  /** Gzip bytes of all JS and CSS together. */
  total: number
  /** The same without the JS-SDK's chunks: the figure the budget is on. */
  signIn: number
}

export interface RoundTrips {
  apiBeforeWechat: string[]
  apiCallbackToProfile: string[]
  apiOnReload: string[]
  wechatOnReload: string[]
  /** The share card's signature requests on that reload. */
  jssdkOnReload: string[]
}

/** Collects the JS and CSS the page loads until `stop()` is called. */
function collectAssets(page: Page): { stop: (route: Route) => Promise<PageBytes> } {
  const pending: Promise<Asset>[] = []
  const onResponse = (response: Response) => {
    const type = response.headers()['content-type'] ?? ''
    if (!response.url().startsWith(APP_URL) || !/javascript|text\/css/.test(type)) return
    pending.push(
      response.body().then((body) => {
        const path = response.url().slice(APP_URL.length)
        return { path, gzip: gzipSync(body, { level: 9 }).length, jssdk: JSSDK_CHUNK.test(path) }
      }),
    )
  }
  page.on('response', onResponse)
  return {
    stop: async (route) => {
      page.off('response', onResponse)
      const assets = (await Promise.all(pending)).sort((a, b) => a.path.localeCompare(b.path))
      const sum = (list: Asset[]) => list.reduce((total, a) => total + a.gzip, 0)
      return { route, assets, total: sum(assets), signIn: sum(assets.filter((a) => !a.jssdk)) }
    },
  }
}

/** Every request the page makes from now on, as `METHOD url`. */
function recordRequests(page: Page): string[] {
  const log: string[] = []
  page.on('request', (request) => log.push(`${request.method()} ${request.url()}`))
  return log
}

const isJssdk = (request: string) => request.endsWith(` ${JSSDK_CONFIG}`)
const isApi = (request: string) => request.includes(` ${APP_URL}/api/`) && !isJssdk(request)
const isWechat = (request: string) => request.includes(` ${EMULATOR_URL}/`)

/** Loads `path` and waits until the page shows `ready`, then until the network is quiet. */
async function load(page: Page, path: string, ready: 'nickname' | 'heading'): Promise<void> {
  await page.goto(path)
  if (ready === 'nickname') await page.getByTestId('nickname').waitFor()
  else await page.getByRole('heading').first().waitFor()
  // Lazy chunks that load after the first render still count.
  await page.waitForLoadState('networkidle')
}

/**
 * The JS and CSS of three page loads of a site (the app at `/`, the floor app at /floor/):
 * the home page in a fresh context; then, in another, a real sign-in started by the site's
 * /profile and consented on the emulator, landing on the site's callback, and a second load of /profile signed in. The
 * requests of the app's sign-in are the round-trip figures.
 */
export async function measureJourney(
  browser: Browser,
  base: '' | typeof FLOOR_BASE,
): Promise<{ bytes: PageBytes[]; roundTrips: RoundTrips }> {
  const bytes: PageBytes[] = []
  const fresh = await newWechatContext(browser)
  try {
    const page = await fresh.newPage()
    await disableCache(page)
    const collector = collectAssets(page)
    await load(page, `${base}/`, 'heading')
    bytes.push(await collector.stop('/'))
  } finally {
    await fresh.close()
  }

  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    await disableCache(page)
    const log = recordRequests(page)
    const callback = await consentAndHoldCallback(page, `${base}/profile`)
    const toWechat = log.findIndex(isWechat)
    const apiBeforeWechat = log.slice(0, toWechat).filter(isApi)

    let at = log.length
    let collector = collectAssets(page)
    await page.goto(callback.href)
    await page.getByTestId('nickname').waitFor()
    const apiCallbackToProfile = log.slice(at).filter(isApi)
    await page.waitForLoadState('networkidle')
    bytes.push(await collector.stop('/auth/callback'))

    at = log.length
    collector = collectAssets(page)
    await load(page, `${base}/profile`, 'nickname')
    bytes.push(await collector.stop('/profile (signed in)'))
    const reload = log.slice(at)

    const roundTrips = {
      apiBeforeWechat,
      apiCallbackToProfile,
      apiOnReload: reload.filter(isApi),
      wechatOnReload: reload.filter(isWechat),
      jssdkOnReload: reload.filter(isJssdk),
    }
    return { bytes, roundTrips }
  } finally {
    await context.close()
  }
}
