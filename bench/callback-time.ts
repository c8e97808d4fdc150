import type { Browser, Page, Request } from '@playwright/test'
import {
  consentAndHoldCallback,
  disableCache,
  emulatorControl,
  isApi,
  newWechatContext,
} from './browser.ts'
import { APP_URL } from './paths.ts'
import { median } from './stats.ts'

/** A slow mobile link: 400 ms round trip, 400 kbit/s each way (CDP wants bytes/s). */
export const THROTTLE = { latencyMs: 400, downKbps: 400, upKbps: 400 }
/** What WeChat's API adds to each of the function's two calls. */
export const UPSTREAM_DELAY_MS = 100
export const FLOOR_CALLBACK_PATH = '/auth/floor-callback.html'

export type Side = 'app' | 'floor'

export interface WaterfallEntry {
  request: string
  /** ms from navigation start to request start and to response end. */
  start: number
  end: number
}

export interface TimingRun {
  side: Side
  /** ms from the callback navigation's start to the nickname on screen. */
  ms: number
  apiRequests: number
  waterfall: WaterfallEntry[]
}

export interface CallbackTimes {
  runs: TimingRun[]
  app: { median: number; samples: number[] }
  floor: { median: number; samples: number[] }
  /** The run nearest each median, for the report's waterfall. */
  typical: Record<Side, TimingRun>
}

/**
 * Runs in the page before any of its scripts: notes `performance.now()` (ms since this
 * document's navigation start) when the nickname element first has text and a box. A
 * string, so the bundler's helpers never reach the page.
 */
const NICKNAME_WATCH = `(() => {
  const observer = new MutationObserver(() => {
    const el = document.querySelector('[data-testid=nickname]')
    if (el && el.textContent && el.getClientRects().length) {
      window.__nicknameAt = performance.now()
      // Seen: the page's later work is not slowed by the watch.
      observer.disconnect()
    }
  })
  observer.observe(document, { childList: true, subtree: true, characterData: true })
})()`

async function throttle(page: Page): Promise<void> {
  // Cache off: the callback is measured as a cold load for both sides alike.
  const cdp = await disableCache(page)
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: THROTTLE.latencyMs,
    downloadThroughput: (THROTTLE.downKbps * 1000) / 8,
    uploadThroughput: (THROTTLE.upKbps * 1000) / 8,
  })
}

/** One fresh context: consent (unthrottled), then the throttled callback, timed in the page. */
async function runOnce(browser: Browser, side: Side): Promise<TimingRun> {
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    const callback = await consentAndHoldCallback(page)
    const target =
      side === 'app' ? callback : callback.replace('/auth/callback?', `${FLOOR_CALLBACK_PATH}?`)
    await page.addInitScript({ content: NICKNAME_WATCH })
    await throttle(page)
    const finished: Request[] = []
    page.on('requestfinished', (request) => finished.push(request))
    await page.goto(target, { waitUntil: 'commit' })
    await page
      // Polled every 50 ms, not every frame: the time itself comes from the observer, and
      // per-frame polling would take main-thread time from the page being measured.
      .waitForFunction(() => '__nicknameAt' in window, undefined, { timeout: 30_000, polling: 50 })
      .catch(async (error: unknown) => {
        const text = await page
          .locator('body')
          .innerText()
          .catch(() => '?')
        throw new Error(`${side}: no nickname on ${page.url()}, page shows: ${text}`, {
          cause: error,
        })
      })
    const { at, origin } = await page.evaluate(() => ({
      at: (window as unknown as { __nicknameAt: number }).__nicknameAt,
      origin: performance.timeOrigin,
    }))
    const waterfall = finished
      .map((request) => {
        const timing = request.timing()
        const start = timing.startTime - origin
        return {
          request: `${request.method()} ${request.url().replace(APP_URL, '').slice(0, 60)}`,
          start: Math.round(start),
          end: Math.round(start + timing.responseEnd),
        }
      })
      .filter((entry) => entry.start <= at)
    return {
      side,
      ms: at,
      apiRequests: finished.filter((r) => isApi(r.url())).length,
      waterfall,
    }
  } finally {
    await context.close()
  }
}

function nearest(runs: TimingRun[], value: number): TimingRun {
  return runs.reduce((best, run) =>
    Math.abs(run.ms - value) < Math.abs(best.ms - value) ? run : best,
  )
}

/**
 * Time to profile after WeChat's callback, app beside the floor page, `runs` each,
 * interleaved (and the order flipped every round) so drift on a busy machine hits both.
 */
export async function measureCallbackTimes(browser: Browser, runs: number): Promise<CallbackTimes> {
  await emulatorControl.reset()
  for (const endpoint of ['access_token', 'userinfo']) {
    await emulatorControl.fault({ endpoint, delayMs: UPSTREAM_DELAY_MS, times: 10_000 })
  }
  try {
    // The first call of each function in `netlify serve` loads it; not part of a login.
    await runOnce(browser, 'app')
    await runOnce(browser, 'floor')
    const all: TimingRun[] = []
    for (let i = 0; i < runs; i++) {
      const order: Side[] = i % 2 === 0 ? ['app', 'floor'] : ['floor', 'app']
      for (const side of order) all.push(await runOnce(browser, side))
    }
    const samples = (side: Side) => all.filter((r) => r.side === side).map((r) => r.ms)
    const app = { median: median(samples('app')), samples: samples('app') }
    const floor = { median: median(samples('floor')), samples: samples('floor') }
    return {
      runs: all,
      app,
      floor,
      typical: {
        app: nearest(
          all.filter((r) => r.side === 'app'),
          app.median,
        ),
        floor: nearest(
          all.filter((r) => r.side === 'floor'),
          floor.median,
        ),
      },
    }
  } finally {
    await emulatorControl.clearFaults()
  }
}
