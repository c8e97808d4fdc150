import { gzipSync } from 'node:zlib'
import type { Browser, Page, Response } from '@playwright/test'
import {
  consentAndHoldCallback,
  countEndpoints,
  disableCache,
  emulatorControl,
  isApi,
  isEmulator,
  newWechatContext,
  recordRequests,
} from './browser.ts'
import { APP_URL, EMULATOR_URL } from './paths.ts'

export interface Asset {
  path: string
  kind: 'js' | 'css'
  bytes: number
  /** The body gzipped with zlib level 9; `netlify serve` sends it uncompressed. */
  gzip: number
}

export interface PageBytes {
  route: string
  url: string
  assets: Asset[]
  js: number
  css: number
  /** Gzip bytes of all JS and CSS together: the figure the budget is on. */
  total: number
}

export interface RoundTrips {
  apiBeforeWechat: number
  apiCallbackToProfile: { count: number; requests: string[] }
  upstreamPerLogin: Record<string, number>
  reload: { api: number; wechat: number; authorizeLogged: number; requests: string[] }
}

const kindOf = (response: Response): Asset['kind'] | null => {
  const type = response.headers()['content-type'] ?? ''
  if (/javascript/.test(type)) return 'js'
  if (/text\/css/.test(type)) return 'css'
  return null
}

/** Collects the JS and CSS an origin serves to `page` until `stop()` is called. */
function collectAssets(page: Page, origin: string): { stop: () => Promise<Asset[]> } {
  const pending: Promise<Asset | null>[] = []
  const onResponse = (response: Response) => {
    const url = response.url()
    const kind = kindOf(response)
    if (!url.startsWith(origin) || !kind) return
    pending.push(
      response.body().then(
        (body) => ({
          path: url.slice(origin.length),
          kind,
          bytes: body.length,
          gzip: gzipSync(body, { level: 9 }).length,
        }),
        () => null,
      ),
    )
  }
  page.on('response', onResponse)
  return {
    stop: async () => {
      page.off('response', onResponse)
      const assets = (await Promise.all(pending)).filter((a): a is Asset => a !== null)
      return assets.sort((a, b) => a.path.localeCompare(b.path))
    },
  }
}

function pageBytes(route: string, url: string, assets: Asset[]): PageBytes {
  const sum = (kind: Asset['kind']) =>
    assets.filter((a) => a.kind === kind).reduce((total, a) => total + a.gzip, 0)
  return { route, url, assets, js: sum('js'), css: sum('css'), total: sum('js') + sum('css') }
}

/** Waits until the page shows what it is for, then until the network is quiet. */
async function settle(page: Page, ready: 'nickname' | 'heading'): Promise<void> {
  if (ready === 'nickname') await page.getByTestId('nickname').waitFor()
  else await page.getByRole('heading').first().waitFor()
  // Lazy chunks that load after the first render still count.
  await page.waitForLoadState('networkidle')
}

async function loadAndCollect(
  page: Page,
  origin: string,
  url: string,
  ready: 'nickname' | 'heading',
): Promise<Asset[]> {
  const collector = collectAssets(page, origin)
  await page.goto(url)
  await settle(page, ready)
  return collector.stop()
}

/**
 * One real sign-in in a fresh WeChat context, measured along the way: the JS and CSS of
 * the callback landing and of a signed-in reload of /profile, and the requests of each
 * step (to the API, and to WeChat) from the browser's log and the emulator's.
 */
export async function measureJourney(
  browser: Browser,
): Promise<{ bytes: PageBytes[]; roundTrips: RoundTrips }> {
  await emulatorControl.reset()
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    await disableCache(page)
    const log = recordRequests(page)

    const callbackUrl = await consentAndHoldCallback(page)
    const toWechat = log.findIndex((r) => r.url.startsWith(`${EMULATOR_URL}/connect/oauth2/`))
    const apiBeforeWechat = log.slice(0, toWechat).filter((r) => isApi(r.url)).length

    const atCallback = log.length
    const collector = collectAssets(page, APP_URL)
    await page.goto(callbackUrl)
    await page.getByTestId('nickname').waitFor()
    const beforeRender = log.slice(atCallback).filter((r) => isApi(r.url))
    await page.waitForLoadState('networkidle')
    const callbackAssets = await collector.stop()
    const upstreamPerLogin = countEndpoints(await emulatorControl.log())

    const authorizeBefore = countEndpoints(await emulatorControl.log()).authorize ?? 0
    const atReload = log.length
    const reloadCollector = collectAssets(page, APP_URL)
    await page.reload()
    await settle(page, 'nickname')
    const reloadAssets = await reloadCollector.stop()
    const reloadLog = log.slice(atReload)
    const authorizeAfter = countEndpoints(await emulatorControl.log()).authorize ?? 0

    const fresh = await newWechatContext(browser)
    let homeAssets: Asset[]
    try {
      const homePage = await fresh.newPage()
      await disableCache(homePage)
      homeAssets = await loadAndCollect(homePage, APP_URL, `${APP_URL}/`, 'heading')
    } finally {
      await fresh.close()
    }

    return {
      bytes: [
        pageBytes('/', `${APP_URL}/`, homeAssets),
        pageBytes('/profile (signed in)', `${APP_URL}/profile`, reloadAssets),
        pageBytes('/auth/callback?code=…&state=…', callbackUrl, callbackAssets),
      ],
      roundTrips: {
        apiBeforeWechat,
        apiCallbackToProfile: {
          count: beforeRender.length,
          requests: beforeRender.map((r) => `${r.method} ${r.url.slice(APP_URL.length)}`),
        },
        upstreamPerLogin: {
          access_token: upstreamPerLogin.access_token ?? 0,
          userinfo: upstreamPerLogin.userinfo ?? 0,
        },
        reload: {
          api: reloadLog.filter((r) => isApi(r.url)).length,
          wechat: reloadLog.filter((r) => isEmulator(r.url)).length,
          authorizeLogged: authorizeAfter - authorizeBefore,
          requests: reloadLog
            .filter((r) => isApi(r.url) || isEmulator(r.url))
            .map((r) => `${r.method} ${r.url}`),
        },
      },
    }
  } finally {
    await context.close()
  }
}

/** The floor app's pages of the same names, from its static server. */
export async function measureFloorBytes(browser: Browser, floorUrl: string): Promise<PageBytes[]> {
  const pages: [string, string, 'nickname' | 'heading'][] = [
    ['/', '/', 'heading'],
    ['/profile (signed in)', '/profile', 'nickname'],
    ['/auth/callback?code=…&state=…', '/auth/callback?code=bench&state=bench', 'nickname'],
  ]
  const results: PageBytes[] = []
  for (const [route, path, ready] of pages) {
    const context = await newWechatContext(browser)
    try {
      const page = await context.newPage()
      await disableCache(page)
      const assets = await loadAndCollect(page, floorUrl, `${floorUrl}${path}`, ready)
      results.push(pageBytes(route, `${floorUrl}${path}`, assets))
    } finally {
      await context.close()
    }
  }
  return results
}
