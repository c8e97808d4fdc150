import { gzipSync } from 'node:zlib'
import type { Browser, Page, Request, Response } from '@playwright/test'
import {
  consentAndHoldCallback,
  disableCache,
  emulatorControl,
  newWechatContext,
} from './browser.ts'
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
/** The site's copy of an avatar, an image the profile shows: not part of the sign-in. */
const AVATAR = `${APP_URL}/api/avatar/`
/** WeChat's authorize page: one visit per redirect to WeChat. */
const AUTHORIZE = `${EMULATOR_URL}/connect/oauth2/authorize?`

export type Route = '/' | '/profile (signed in)' | '/auth/callback'

export interface PageBytes {
  route: Route
  assets: Asset[]
  /** Gzip bytes of all JS and CSS together. */
  total: number
  /** The same without the JS-SDK's chunks: the figure the budget is on. */
  signIn: number
}

/** The app's round trips during one sign-in; requests as `METHOD url → status`. */
export interface SignInTrips {
  /** `/api/*` requests before the first request to WeChat. */
  apiBeforeWechat: string[]
  /** Page loads of WeChat's authorize page, as `scope`. */
  authorize: string[]
  /** `/api/*` requests from the first visit to WeChat to the profile on screen. */
  api: string[]
  /** The calls the site made to WeChat's API (the emulator's counts before and after). */
  wechatCalls: { accessToken: number; userinfo: number; refreshToken: number }
}

export interface RoundTrips {
  /** First sign-in: 微信授权登录 on the home page, base → 422 → userinfo → 允许 → profile. */
  first: SignInTrips
  /** The same person in a new browser (no cookie, no storage) opening /profile. */
  returning: SignInTrips
  apiOnReload: string[]
  wechatOnReload: string[]
  /** The share card's signature requests on that reload. */
  jssdkOnReload: string[]
  /** The avatar's requests on that reload. */
  avatarOnReload: string[]
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

interface Logged {
  method: string
  url: string
  /** A page load of the tab (not a fetch, not an image). */
  navigation: boolean
  status?: number
}

/** Every request the page makes from now on, with its answer's status once known. */
function recordRequests(page: Page): Logged[] {
  const log: Logged[] = []
  const entries = new Map<Request, Logged>()
  page.on('request', (request) => {
    const entry = {
      method: request.method(),
      url: request.url(),
      navigation: request.isNavigationRequest() && request.frame() === page.mainFrame(),
    }
    entries.set(request, entry)
    log.push(entry)
  })
  page.on('response', (response) => {
    const entry = entries.get(response.request())
    if (entry) entry.status = response.status()
  })
  return log
}

const show = (r: Logged) => `${r.method} ${r.url}${r.status ? ` → ${r.status}` : ''}`
const isJssdk = (r: Logged) => r.url === JSSDK_CONFIG
const isAvatar = (r: Logged) => r.url.startsWith(AVATAR)
const isApi = (r: Logged) => r.url.startsWith(`${APP_URL}/api/`) && !isJssdk(r) && !isAvatar(r)
const isWechat = (r: Logged) => r.url.startsWith(`${EMULATOR_URL}/`)
const isAuthorize = (r: Logged) => r.navigation && r.url.startsWith(AUTHORIZE)

/** The site's calls to WeChat's API while `run` runs, from the emulator's counts. */
async function wechatCallsDuring(run: () => Promise<void>): Promise<SignInTrips['wechatCalls']> {
  const before = await emulatorControl.counts()
  await run()
  const after = await emulatorControl.counts()
  const delta = (endpoint: string) => (after[endpoint] ?? 0) - (before[endpoint] ?? 0)
  return {
    accessToken: delta('access_token'),
    userinfo: delta('userinfo'),
    refreshToken: delta('refresh_token'),
  }
}

/** The round trips of a sign-in whose requests are `log`, the profile on screen at its end. */
function tripsOf(log: Logged[], wechatCalls: SignInTrips['wechatCalls']): SignInTrips {
  const toWechat = log.findIndex(isWechat)
  if (toWechat < 0) throw new Error('the sign-in never went to WeChat')
  return {
    apiBeforeWechat: log.slice(0, toWechat).filter(isApi).map(show),
    authorize: log
      .filter(isAuthorize)
      .map((r) => new URL(r.url).searchParams.get('scope') ?? '(no scope)'),
    api: log.slice(toWechat).filter(isApi).map(show),
    wechatCalls,
  }
}

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
 * the home page in a fresh context; then, in another, a real first sign-in (the app's started
 * by 微信授权登录 on its home page, the floor's by its /profile), consented on the emulator,
 * landing on the site's callback, and a second load of /profile signed in. The requests of
 * the app's sign-in are the round-trip figures; then, for the app, the same person in a new
 * context (no cookie, no storage) opens /profile: the returning person's round trips.
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

  let first: SignInTrips
  let rest: Omit<RoundTrips, 'first' | 'returning'>
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    await disableCache(page)
    const log = recordRequests(page)
    let collector: ReturnType<typeof collectAssets> | undefined
    const wechatCalls = await wechatCallsDuring(async () => {
      const callback = await consentAndHoldCallback(
        page,
        base === '' ? { tap: true } : { path: `${base}/profile` },
      )
      collector = collectAssets(page)
      await page.goto(callback.href)
      await page.getByTestId('nickname').waitFor()
    })
    first = tripsOf(log, wechatCalls)
    await page.waitForLoadState('networkidle')
    bytes.push(await collector!.stop('/auth/callback'))

    const at = log.length
    const reloadCollector = collectAssets(page)
    await load(page, `${base}/profile`, 'nickname')
    bytes.push(await reloadCollector.stop('/profile (signed in)'))
    const reload = log.slice(at)
    rest = {
      apiOnReload: reload.filter(isApi).map(show),
      wechatOnReload: reload.filter(isWechat).map(show),
      jssdkOnReload: reload.filter(isJssdk).map(show),
      avatarOnReload: reload.filter(isAvatar).map(show),
    }
  } finally {
    await context.close()
  }

  // The same person (the emulator's same test user) in a new browser: no cookie, no
  // storage. The site knows them now, and snsapi_base never shows a page.
  const again = await newWechatContext(browser)
  try {
    const page = await again.newPage()
    await disableCache(page)
    const log = recordRequests(page)
    const wechatCalls = await wechatCallsDuring(async () => {
      await page.goto(`${base}/profile`)
      await page.getByTestId('nickname').waitFor()
    })
    const returning = tripsOf(log, wechatCalls)
    return { bytes, roundTrips: { first, returning, ...rest } }
  } finally {
    await again.close()
  }
}
