import { gzipSync } from 'node:zlib'
import type { Browser, Page, Response } from '@playwright/test'
import { consentAndHoldCallback, disableCache, newWechatContext } from './browser.ts'
import { APP_URL, EMULATOR_URL, FLOOR_BASE } from './paths.ts'

export interface Asset {
  path: string
  /** The body gzipped with zlib level 9, whatever encoding it travelled in. */
  gzip: number
}

export type Route = '/' | '/profile (signed in)' | '/auth/callback'

export interface PageBytes {
  route: Route
  assets: Asset[]
  /** Gzip bytes of all JS and CSS together: the figure the budget is on. */
  total: number
}

export interface RoundTrips {
  apiBeforeWechat: string[]
  apiCallbackToProfile: string[]
  apiOnReload: string[]
  wechatOnReload: string[]
}

/** Collects the JS and CSS the page loads until `stop()` is called. */
function collectAssets(page: Page): { stop: (route: Route) => Promise<PageBytes> } {
  const pending: Promise<Asset>[] = []
  const onResponse = (response: Response) => {
    const type = response.headers()['content-type'] ?? ''
    if (!response.url().startsWith(APP_URL) || !/javascript|text\/css/.test(type)) return
    pending.push(
      response.body().then((body) => ({
        path: response.url().slice(APP_URL.length),
        gzip: gzipSync(body, { level: 9 }).length,
      })),
    )
  }
  page.on('response', onResponse)
  return {
    stop: async (route) => {
      page.off('response', onResponse)
      const assets = (await Promise.all(pending)).sort((a, b) => a.path.localeCompare(b.path))
      return { route, assets, total: assets.reduce((sum, a) => sum + a.gzip, 0) }
    },
  }
}

/** Every request the page makes from now on, as `METHOD url`. */
function recordRequests(page: Page): string[] {
  const log: string[] = []
  page.on('request', (request) => log.push(`${request.method()} ${request.url()}`))
  return log
}

const isApi = (request: string) => request.includes(` ${APP_URL}/api/`)
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
    }
    return { bytes, roundTrips }
  } finally {
    await context.close()
  }
}
