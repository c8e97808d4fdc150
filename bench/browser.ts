import {
  chromium,
  type Browser,
  type BrowserContext,
  type CDPSession,
  type Page,
  type Request,
} from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '../e2e/chromium.ts'
import { serveAvatarsFromEmulator as serveAvatars } from '../e2e/emulator.ts'
import { WECHAT_ANDROID_PHONE, WECHAT_ANDROID_UA } from '../playwright.config.ts'
import { APP_URL, EMULATOR_URL } from './paths.ts'

export { WECHAT_ANDROID_UA }

/** Debian's Chromium with the e2e run's flags, from the one module that names them. */
export const CHROMIUM_PATH = CHROMIUM_EXECUTABLE
export const CHROMIUM_FLAGS = CHROMIUM_ARGS

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS })
}

/** A fresh context as the e2e tests use: WeChat on an Android phone. */
export async function newWechatContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: APP_URL, ...WECHAT_ANDROID_PHONE })
  await serveAvatarsFromEmulator(context)
  return context
}

/** WeChat's avatar hosts, answered by this run's emulator (the e2e tests' routing). */
export function serveAvatarsFromEmulator(context: BrowserContext): Promise<void> {
  return serveAvatars(context, EMULATOR_URL)
}

/**
 * Every load from the network, stated rather than left to Playwright (which also turns the
 * cache off whenever a route is set, as the avatar route is).
 */
export async function disableCache(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  return cdp
}

/**
 * Opens /profile unsigned, which goes to WeChat, and taps 允许. The consent sheet's
 * answer is intercepted so the browser parks on about:blank instead of following it:
 * the caller navigates to the callback itself, and its timing starts there.
 */
export async function consentAndHoldCallback(page: Page): Promise<string> {
  let callback = ''
  await page.route(`${EMULATOR_URL}/connect/oauth2/authorize/confirm`, async (route) => {
    const response = await route.fetch()
    const { redirect } = (await response.json()) as { redirect: string }
    callback = redirect
    await route.fulfill({ response, json: { redirect: 'about:blank' } })
  })
  await page.goto('/profile')
  await page.getByRole('button', { name: '允许' }).click()
  await page.waitForURL('about:blank')
  await page.unroute(`${EMULATOR_URL}/connect/oauth2/authorize/confirm`)
  if (!callback.startsWith(`${APP_URL}/auth/callback?code=`)) {
    throw new Error(`unexpected callback ${callback}`)
  }
  return callback
}

/** Every request a page makes from now on, in order, with its start time. */
export function recordRequests(page: Page): { url: string; method: string; at: number }[] {
  const log: { url: string; method: string; at: number }[] = []
  page.on('request', (request: Request) =>
    log.push({ url: request.url(), method: request.method(), at: Date.now() }),
  )
  return log
}

export const isApi = (url: string) => url.startsWith(`${APP_URL}/api/`)
export const isEmulator = (url: string) => url.startsWith(EMULATOR_URL)

/** The emulator's control API, over HTTP as the e2e tests drive it. */
async function control(path: string, init: { method?: string; body?: unknown } = {}) {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
  const response = await fetch(`${EMULATOR_URL}/__emulator/${path}`, {
    method,
    headers: init.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${await response.text()}`)
  return response.headers.get('content-type')?.includes('json') ? response.json() : undefined
}

export interface EmulatorLogEntry {
  endpoint: 'authorize' | 'confirm' | 'access_token' | 'refresh_token' | 'userinfo' | 'auth'
}

export const emulatorControl = {
  reset: () => control('reset', { body: {} }),
  nextUser: (user: string) => control('next-user', { body: { user } }),
  fault: (fault: Record<string, unknown>) => control('faults', { body: fault }),
  clearFaults: () => control('faults', { method: 'DELETE' }),
  log: () => control('log') as Promise<EmulatorLogEntry[]>,
}

export function countEndpoints(log: EmulatorLogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const entry of log) counts[entry.endpoint] = (counts[entry.endpoint] ?? 0) + 1
  return counts
}
