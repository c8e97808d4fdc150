import { postJssdkConfig } from '@/api'

/** The share card's contents, as both update…ShareData calls take them. */
export interface ShareData {
  title: string
  desc: string
  link: string
  imgUrl: string
}

export interface WxConfig {
  appId: string
  timestamp: number
  nonceStr: string
  signature: string
  jsApiList: string[]
}

/** What `wx.error` receives; newer clients name the URL(s) they actually checked. */
export interface WxError {
  errMsg: string
  realAuthUrl?: string | string[]
}

/** How an API call ended when it did not succeed, e.g. refused while WeChat still checks. */
export interface WxCallbacks {
  fail?: (res: { errMsg: string }) => void
}

/** The part of jweixin-1.6.0 the app uses; tests pass a fake. */
export interface Wx {
  config(options: WxConfig): void
  ready(callback: () => void): void
  error(callback: (res: WxError) => void): void
  updateAppMessageShareData(data: ShareData & WxCallbacks): void
  updateTimelineShareData(data: Omit<ShareData, 'desc'> & WxCallbacks): void
}

export const JS_API_LIST = ['updateAppMessageShareData', 'updateTimelineShareData']

/** The SDK's chunk, or null when it cannot be downloaded (the page then goes on without). */
export function loadWx(): Promise<Wx | null> {
  return import('./sdk').then(
    (module) => module.default,
    () => null,
  )
}

/** WeChat signs the URL without its fragment. @see wechat-behaviour.md §8 */
export function withoutFragment(url: string): string {
  return url.split('#')[0] ?? url
}

/**
 * Configures `wx` for each URL it is given with the server's signature, then runs `onReady`.
 * On `config:invalid signature` it signs the URL WeChat says it checked (`realAuthUrl`) once
 * more; any other failure, or a second one, is only logged: the page works without the SDK.
 * @see wechat-behaviour.md §8
 */
export function wxConfigurer(wx: Wx, onReady: () => void) {
  let latest = 0
  return async function configure(url: string): Promise<void> {
    const run = ++latest
    let retried = false
    const attempt = async (target: string) => {
      const signed = await postJssdkConfig(target)
      // A later navigation is signing its own URL; this answer is for a page already left.
      if (run !== latest) return
      wx.config({ ...signed, jsApiList: JS_API_LIST })
      wx.ready(onReady)
    }
    // jweixin keeps only the last error handler, so each configuration brings its own.
    wx.error((res) => {
      const checked = [res.realAuthUrl ?? []].flat()[0]
      if (!retried && checked && res.errMsg.includes('invalid signature')) {
        retried = true
        attempt(withoutFragment(checked)).catch(() => undefined)
      } else {
        console.warn(`WeChat JS-SDK: ${res.errMsg}`)
      }
    })
    await attempt(url)
  }
}
