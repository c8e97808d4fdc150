import type { ShareData, Wx, WxConfig, WxError } from '@/wechat/jssdk'

/**
 * Stands in for jweixin-1.6.0 and records what the app asks of it; a test decides how each
 * configuration ends with `settle`. Like the real one, `ready` callbacks wait until a
 * configuration has ended, successfully or not, and run at once after that; only the last
 * `error` callback counts.
 */
export function fakeWx() {
  const configs: WxConfig[] = []
  const appMessage: ShareData[] = []
  const timeline: Omit<ShareData, 'desc'>[] = []
  let ended = false
  let waiting: (() => void)[] = []
  let onError: ((res: WxError) => void) | undefined
  /** What the next share calls answer instead of success, as WeChat does before a check passes. */
  let refuse: string[] = []

  const wx: Wx = {
    config: (options) => configs.push(options),
    ready: (callback) => (ended ? callback() : waiting.push(callback)),
    error: (callback) => (onError = callback),
    updateAppMessageShareData: ({ fail, ...data }) => {
      const errMsg = refuse.shift()
      if (errMsg) fail?.({ errMsg: `updateAppMessageShareData:${errMsg}` })
      else appMessage.push(data)
    },
    updateTimelineShareData: ({ fail: _fail, ...data }) => timeline.push(data),
  }

  /** WeChat's verdict on the last configuration: nothing for success, or what wx.error gets. */
  function settle(error?: WxError) {
    ended = true
    if (error) onError?.(error)
    const callbacks = waiting
    waiting = []
    for (const callback of callbacks) callback()
  }

  /** The next share calls are refused with these errMsgs, one each. */
  function refuseShares(...errMsgs: string[]) {
    refuse = errMsgs
  }

  return { wx, configs, appMessage, timeline, settle, refuseShares }
}
