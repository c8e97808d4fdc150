import type { Browser } from '@playwright/test'
import {
  consentAndHoldCallback,
  disableCache,
  emulatorControl,
  newWechatContext,
} from './browser.ts'
import { FLOOR_BASE, LIMIT_CALLBACK } from './paths.ts'
import { median } from './stats.ts'

/** A slow mobile link: 400 ms round trip, 400 kbit/s each way. */
const THROTTLE = { latencyMs: 400, kbps: 400 }
/** What WeChat's API adds to each of the function's two calls. */
const UPSTREAM_DELAY_MS = 100

export const SIDES = ['app', 'floor', 'limit'] as const
export type Side = (typeof SIDES)[number]

/** The floor starts the limit page's sign-in too: the page has no code to start one. */
const START: Record<Side, string> = {
  app: '/profile',
  floor: `${FLOOR_BASE}/profile`,
  limit: `${FLOOR_BASE}/profile`,
}

export type CallbackTimes = Record<Side, { median: number; samples: number[] }>

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
      observer.disconnect()
    }
  })
  observer.observe(document, { childList: true, subtree: true, characterData: true })
})()`

/** One fresh context: consent (unthrottled), then the throttled callback, timed in the page. */
async function runOnce(browser: Browser, side: Side): Promise<number> {
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    const callback = await consentAndHoldCallback(page, START[side])
    await page.addInitScript({ content: NICKNAME_WATCH })
    // Cache off: a cold load for every side alike.
    const cdp = await disableCache(page)
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: THROTTLE.latencyMs,
      // bytes/s
      downloadThroughput: (THROTTLE.kbps * 1000) / 8,
      uploadThroughput: (THROTTLE.kbps * 1000) / 8,
    })
    const target = side === 'limit' ? `${LIMIT_CALLBACK}${callback.search}` : callback.href
    await page.goto(target, { waitUntil: 'commit' })
    // Polled every 50 ms, not every frame: the time itself comes from the observer, and
    // per-frame polling would take main-thread time from the page being measured.
    await page
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
    return await page.evaluate(() => (window as unknown as { __nicknameAt: number }).__nicknameAt)
  } finally {
    await context.close()
  }
}

/**
 * Time from WeChat's redirect to the nickname on screen, `runs` times per side, the sides
 * interleaved and their order rotated every round so drift on a busy machine hits all alike.
 */
export async function measureCallbackTimes(browser: Browser, runs: number): Promise<CallbackTimes> {
  for (const endpoint of ['access_token', 'userinfo']) {
    await emulatorControl.fault({ endpoint, delayMs: UPSTREAM_DELAY_MS, times: 10_000 })
  }
  try {
    // The first call of each function in `netlify serve` loads it: not part of a sign-in.
    for (const side of SIDES) await runOnce(browser, side)
    const samples: Record<Side, number[]> = { app: [], floor: [], limit: [] }
    for (let i = 0; i < runs; i++) {
      const order = [...SIDES.slice(i % SIDES.length), ...SIDES.slice(0, i % SIDES.length)]
      for (const side of order) samples[side].push(await runOnce(browser, side))
    }
    const summary = (side: Side) => ({ median: median(samples[side]), samples: samples[side] })
    return { app: summary('app'), floor: summary('floor'), limit: summary('limit') }
  } finally {
    await emulatorControl.clearFaults()
  }
}
