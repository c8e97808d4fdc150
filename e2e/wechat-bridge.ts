import type { Page } from '@playwright/test'
import { EMULATOR_URL } from './ports.ts'

// `POST /__emulator/reset` forgets every ticket; the site must forget its own too.
export { forgetSiteTicket } from '../scripts/site-blobs.ts'

/** WeChat 8.0.40 on iOS, as emulator/test-support's WECHAT_IOS_UA. */
export const WECHAT_IOS_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'

/** The calls the bridge script may forward to `POST /__emulator/jssdk/<kind>`. */
const FORWARDED = new Set(['verify', 'share'])

export interface VerifyRecord {
  url: string
  platform: 'ios' | 'android'
  appId: string
  errMsg: string
  forced?: true
}

export interface ShareRecord {
  api: 'updateAppMessageShareData' | 'updateTimelineShareData'
  page: string
  title: string
  desc?: string
  link: string
  imgUrl: string
}

async function emulatorJson(path: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${EMULATOR_URL}/__emulator/${path}`, init)
  if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

/**
 * Puts the emulator's WeixinJSBridge into the page before its scripts run, so the real
 * JS-SDK talks to the emulator. The page's CSP keeps it from calling the emulator itself:
 * the bridge calls `window.__wxEmulator`, which runs here, in the test, and forwards.
 */
export async function installWechatBridge(page: Page): Promise<void> {
  const script = await (await fetch(`${EMULATOR_URL}/__emulator/jsbridge.js`)).text()
  await page.exposeFunction('__wxEmulator', async (kind: string, json: string) => {
    if (!FORWARDED.has(kind)) throw new Error(`unknown bridge call ${kind}`)
    const response = await fetch(`${EMULATOR_URL}/__emulator/jssdk/${kind}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json,
    })
    return response.text()
  })
  await page.addInitScript(script)
  // The SDK reports its timings to WeChat after each config; nothing here answers that.
  await page.route(/^https:\/\/open\.weixin\.qq\.com\//, (route) => route.abort())
}

/** What the bridge recorded, and the switch that makes its next verifications fail. */
export const jssdk = {
  verifies: () => emulatorJson('jssdk/verifies') as Promise<VerifyRecord[]>,
  shares: () => emulatorJson('shares') as Promise<ShareRecord[]>,
  force: (errMsg: string, times: number) =>
    emulatorJson('jssdk/force', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ errMsg, times }),
    }),
}
