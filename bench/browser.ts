import {
  chromium,
  type Browser,
  type BrowserContext,
  type CDPSession,
  type Page,
} from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '../e2e/chromium.ts'
import { serveAvatarsFromEmulator } from '../e2e/emulator.ts'
import { WECHAT_ANDROID_PHONE } from '../playwright.config.ts'
import { APP_URL, EMULATOR_URL } from './paths.ts'

/** Debian's Chromium with the e2e run's flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, args: CHROMIUM_ARGS })
}

/** A fresh context as the e2e tests use: WeChat on an Android phone, avatars from the emulator. */
export async function newWechatContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: APP_URL, ...WECHAT_ANDROID_PHONE })
  await serveAvatarsFromEmulator(context, EMULATOR_URL)
  return context
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
 * Opens `start` (the app's or the floor's /profile) unsigned, which goes to WeChat, and taps
 * 允许. The consent sheet's answer is intercepted so the browser parks on about:blank instead
 * of following it: the caller opens the callback itself.
 */
export async function consentAndHoldCallback(page: Page, start: string): Promise<URL> {
  const confirm = `${EMULATOR_URL}/connect/oauth2/authorize/confirm`
  let callback = ''
  await page.route(confirm, async (route) => {
    const response = await route.fetch()
    callback = ((await response.json()) as { redirect: string }).redirect
    await route.fulfill({ response, json: { redirect: 'about:blank' } })
  })
  await page.goto(start)
  await page.getByRole('button', { name: '允许' }).click()
  await page.waitForURL('about:blank')
  await page.unroute(confirm)
  const url = new URL(callback)
  if (url.origin !== APP_URL || !url.pathname.endsWith('/auth/callback')) {
    throw new Error(`unexpected callback ${callback}`)
  }
  return url
}

/** The emulator's control API, over HTTP as the e2e tests drive it. */
async function control(path: string, method: string, body?: unknown) {
  const response = await fetch(`${EMULATOR_URL}/__emulator/${path}`, {
    method,
    headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${await response.text()}`)
  return response.headers.get('content-type')?.includes('json') ? response.json() : undefined
}

export const emulatorControl = {
  reset: () => control('reset', 'POST', {}),
  fault: (fault: Record<string, unknown>) => control('faults', 'POST', fault),
  clearFaults: () => control('faults', 'DELETE'),
  log: () => control('log', 'GET') as Promise<{ endpoint: string }[]>,
}
