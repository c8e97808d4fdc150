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
import { forgetSiteUsers } from './servers.ts'

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

/** The home page's sign-in button (zh-CN, the bench's browser's language). */
export const SIGN_IN_TAP = '微信授权登录'

/**
 * Where a first sign-in starts: the app's home page and a tap on 微信授权登录, which asks
 * for snsapi_base, is answered 422 `profile_required` (the site does not know the person)
 * and goes on to snsapi_userinfo; or a path that goes to WeChat's consent sheet directly
 * (the floor's /profile, which asks for snsapi_userinfo at once).
 */
export type FirstSignInStart = { tap: true } | { path: string }

/**
 * Makes the next sign-in a first one: the emulator forgets every userinfo consent (it
 * remembers them 30 days and would redirect silently), the site every stored profile.
 */
export async function forgetEveryone(): Promise<void> {
  await emulatorControl.forgetConsents()
  await forgetSiteUsers()
}

/** Opens the home page and taps 微信授权登录, as a person does. */
export async function tapSignIn(page: Page): Promise<void> {
  await page.goto('/')
  await page.getByRole('link', { name: SIGN_IN_TAP }).click()
}

/**
 * A first sign-in up to WeChat's consent sheet, then 允许. The consent sheet's answer is
 * intercepted so the browser parks on about:blank instead of following it: the caller opens
 * the (snsapi_userinfo) callback itself. Everyone is forgotten first (`forgetEveryone`).
 */
export async function consentAndHoldCallback(page: Page, start: FirstSignInStart): Promise<URL> {
  await forgetEveryone()
  const confirm = `${EMULATOR_URL}/connect/oauth2/authorize/confirm`
  let callback = ''
  await page.route(confirm, async (route) => {
    const response = await route.fetch()
    callback = ((await response.json()) as { redirect: string }).redirect
    await route.fulfill({ response, json: { redirect: 'about:blank' } })
  })
  if ('tap' in start) await tapSignIn(page)
  else await page.goto(start.path)
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
  /** Calls per endpoint since the last reset. */
  counts: () => control('counts', 'GET') as Promise<Record<string, number>>,
  /** Forgets userinfo consents only (`POST reset` forgets everything). */
  forgetConsents: () => control('consents', 'DELETE'),
}
