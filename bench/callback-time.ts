import type { Browser, CDPSession, Page } from '@playwright/test'
import {
  consentAndHoldCallback,
  disableCache,
  emulatorControl,
  forgetEveryone,
  newWechatContext,
  SIGN_IN_TAP,
  type FirstSignInStart,
} from './browser.ts'
import { APP_URL, FLOOR_BASE, LIMIT_CALLBACK } from './paths.ts'
import { median } from './stats.ts'

/** A slow mobile link: 400 ms round trip, 400 kbit/s each way. */
const THROTTLE = { latencyMs: 400, kbps: 400 }
/** What WeChat's API adds to each of the function's two calls. */
const UPSTREAM_DELAY_MS = 100

export const SIDES = ['app', 'floor', 'limit'] as const
export type Side = (typeof SIDES)[number]

/**
 * The app's first sign-in starts with 微信授权登录 (snsapi_base, 422, then snsapi_userinfo);
 * the floor's at its /profile (snsapi_userinfo at once). The floor starts the limit page's
 * sign-in too: the page has no code to start one.
 */
const START: Record<Side, FirstSignInStart> = {
  app: { tap: true },
  floor: { path: `${FLOOR_BASE}/profile` },
  limit: { path: `${FLOOR_BASE}/profile` },
}

export interface Samples {
  median: number
  samples: number[]
}

/** The app's whole sign-ins, each from its start to the profile on screen. */
export interface JourneyTimes {
  /** 微信授权登录 → profile, without the person's time on the consent sheet. */
  first: Samples & { tapToSheet: Samples; allowToProfile: Samples }
  /** A new browser of a person the site knows: /profile's navigation start → profile. */
  returning: Samples
}

export type CallbackTimes = Record<Side, Samples> & { journeys: JourneyTimes }

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

/**
 * For whole sign-ins, in every document before its scripts, times from the epoch
 * (`performance.timeOrigin + performance.now()`): the nickname on screen (`__nicknameAt`)
 * and WeChat's consent sheet's 允许 on screen (`__sheetAt`). The app's first document in
 * the tab keeps its navigation start in sessionStorage (`bench:start`), which survives the
 * visits to WeChat.
 */
const JOURNEY_WATCH = `(() => {
  const now = () => performance.timeOrigin + performance.now()
  if (location.origin === ${JSON.stringify(APP_URL)} && !sessionStorage.getItem('bench:start')) {
    sessionStorage.setItem('bench:start', String(performance.timeOrigin))
  }
  const shown = (el) => el && el.textContent && el.getClientRects().length
  const observer = new MutationObserver(() => {
    if (!window.__nicknameAt && shown(document.querySelector('[data-testid=nickname]'))) {
      window.__nicknameAt = now()
    }
    if (!window.__sheetAt && [...document.querySelectorAll('button')].some(
      (b) => b.textContent.trim() === '允许' && shown(b))) {
      window.__sheetAt = now()
    }
  })
  observer.observe(document, { childList: true, subtree: true, characterData: true })
})()`

/** CDP's throttling and no cache, for the rest of the page's life (all origins). */
async function throttle(page: Page): Promise<CDPSession> {
  // Cache off: a cold load for every side alike.
  const cdp = await disableCache(page)
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: THROTTLE.latencyMs,
    // bytes/s
    downloadThroughput: (THROTTLE.kbps * 1000) / 8,
    uploadThroughput: (THROTTLE.kbps * 1000) / 8,
  })
  return cdp
}

/** Waits for `window[name]` in the current document and returns it. */
async function mark(page: Page, name: '__nicknameAt' | '__sheetAt', what: string) {
  await page
    .waitForFunction((key) => key in window, name, { timeout: 60_000, polling: 50 })
    .catch(async (error: unknown) => {
      const text = await page
        .locator('body')
        .innerText()
        .catch(() => '?')
      throw new Error(`${what}: nothing on ${page.url()}, page shows: ${text}`, { cause: error })
    })
  return await page.evaluate((key) => (window as unknown as Record<string, number>)[key]!, name)
}

const startMark = (page: Page) => page.evaluate(() => Number(sessionStorage.getItem('bench:start')))

/**
 * A first sign-in, throttled from the home page on: after everyone is forgotten, the home
 * page is loaded (not timed), then 微信授权登录 is tapped in the page (the tap's time kept
 * as `bench:start`), and 允许 tapped as soon as WeChat's consent sheet shows it. The
 * person's time on the sheet is left out: (tap → 允许 on screen) + (允许 → nickname).
 */
async function firstSignIn(browser: Browser) {
  await forgetEveryone()
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    await page.addInitScript({ content: JOURNEY_WATCH })
    await throttle(page)
    await page.goto('/')
    const tap = page.getByRole('link', { name: SIGN_IN_TAP })
    await tap.waitFor()
    // The tap's time is stored before the click's handler starts the redirect.
    await tap
      .evaluate((el) => {
        sessionStorage.setItem('bench:start', String(performance.timeOrigin + performance.now()))
        ;(el as HTMLElement).click()
      })
      .catch((error: unknown) => {
        // The redirect may outrun the evaluation's answer; the time is stored either way.
        if (!String(error).includes('context was destroyed')) throw error
      })
    const sheetAt = await mark(page, '__sheetAt', 'first sign-in, consent sheet')
    // The sheet's handler POSTs its confirm before it navigates: the time comes back first.
    const allowAt = await page.getByRole('button', { name: '允许' }).evaluate((el) => {
      const at = performance.timeOrigin + performance.now()
      ;(el as HTMLElement).click()
      return at
    })
    const nicknameAt = await mark(page, '__nicknameAt', 'first sign-in, profile')
    const tapAt = await startMark(page)
    return { tapToSheet: sheetAt - tapAt, allowToProfile: nicknameAt - allowAt }
  } finally {
    await context.close()
  }
}

/**
 * A person the site knows, in a new context (no cookie, no storage), opens /profile
 * throttled: snsapi_base's silent redirect, one POST, the profile. Time from /profile's
 * navigation start to the nickname on screen.
 */
async function returningSignIn(browser: Browser): Promise<number> {
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    await page.addInitScript({ content: JOURNEY_WATCH })
    await throttle(page)
    await page.goto('/profile', { waitUntil: 'commit' })
    const nicknameAt = await mark(page, '__nicknameAt', 'returning sign-in, profile')
    if (new URL(page.url()).pathname !== '/profile') throw new Error(`returning: on ${page.url()}`)
    return nicknameAt - (await startMark(page))
  } finally {
    await context.close()
  }
}

/** One fresh context: consent (unthrottled), then the throttled callback, timed in the page. */
async function runOnce(browser: Browser, side: Side): Promise<number> {
  const context = await newWechatContext(browser)
  try {
    const page = await context.newPage()
    const callback = await consentAndHoldCallback(page, START[side])
    await page.addInitScript({ content: NICKNAME_WATCH })
    await throttle(page)
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
 * Each round ends with the app's whole sign-ins: a first one, then the same person returning.
 */
export async function measureCallbackTimes(browser: Browser, runs: number): Promise<CallbackTimes> {
  for (const endpoint of ['access_token', 'userinfo']) {
    await emulatorControl.fault({ endpoint, delayMs: UPSTREAM_DELAY_MS, times: 10_000 })
  }
  try {
    // The first call of each function in `netlify serve` loads it: not part of a sign-in.
    for (const side of SIDES) await runOnce(browser, side)
    const samples: Record<Side, number[]> = { app: [], floor: [], limit: [] }
    const first = {
      total: [] as number[],
      tapToSheet: [] as number[],
      allowToProfile: [] as number[],
    }
    const returning: number[] = []
    for (let i = 0; i < runs; i++) {
      const order = [...SIDES.slice(i % SIDES.length), ...SIDES.slice(0, i % SIDES.length)]
      for (const side of order) samples[side].push(await runOnce(browser, side))
      const { tapToSheet, allowToProfile } = await firstSignIn(browser)
      first.tapToSheet.push(tapToSheet)
      first.allowToProfile.push(allowToProfile)
      first.total.push(tapToSheet + allowToProfile)
      returning.push(await returningSignIn(browser))
    }
    const of = (list: number[]) => ({ median: median(list), samples: list })
    const summary = (side: Side) => of(samples[side])
    return {
      app: summary('app'),
      floor: summary('floor'),
      limit: summary('limit'),
      journeys: {
        first: {
          ...of(first.total),
          tapToSheet: of(first.tapToSheet),
          allowToProfile: of(first.allowToProfile),
        },
        returning: of(returning),
      },
    }
  } finally {
    await emulatorControl.clearFaults()
  }
}
