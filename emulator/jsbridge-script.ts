/**
 * The script `GET /__emulator/jsbridge.js` serves: a `window.WeixinJSBridge` for the official
 * JS-SDK, to run before the page's own scripts, and only where the User-Agent says
 * MicroMessenger, as in WeChat. It hands each call to `window.__wxEmulator(kind, json)`,
 * which forwards it to `POST /__emulator/jssdk/<kind>`: e2e tests expose that function
 * (Playwright's `addInitScript`, as the page's CSP keeps it from calling the emulator), while
 * `?sameOrigin=1` defines it as a same-origin `fetch`, for `npm run dev`, whose Vite proxies
 * `/__emulator/*` to the emulator.
 * iOS WeChat checks the URL the page landed on, recorded here before any pushState; the
 * others the current one (told from the User-Agent).
 *
 * @see ../shared/wechat-behaviour.md §8
 */
const BRIDGE = `
  var landingUrl = location.href.split('#')[0]
  var platform = /iPhone|iPad|iPod/.test(navigator.userAgent) ? 'ios' : 'android'
  var SHARE_APIS = ['updateAppMessageShareData', 'updateTimelineShareData']
  function ask(kind, body) {
    if (typeof window.__wxEmulator !== 'function') return Promise.reject(new Error('no emulator'))
    return window.__wxEmulator(kind, JSON.stringify(body)).then(function (text) {
      return JSON.parse(text)
    })
  }
  function answer(cb, res) {
    if (typeof cb === 'function') setTimeout(function () { cb(res) }, 0)
  }
  var listeners = {}
  // Whether the last preVerifyJSAPI passed, and the APIs it asked for: the share calls need both.
  var verified = false
  var verifying = 0
  var jsApiList = []
  window.WeixinJSBridge = {
    invoke: function (name, args, cb) {
      args = args || {}
      if (name === 'preVerifyJSAPI') {
        verifying++
        jsApiList = Array.isArray(args.verifyJsApiList) ? args.verifyJsApiList.map(String) : []
        var url = platform === 'ios' ? landingUrl : location.href.split('#')[0]
        ask('verify', {
          verifyAppId: String(args.verifyAppId),
          verifyTimestamp: String(args.verifyTimestamp),
          verifyNonceStr: String(args.verifyNonceStr),
          verifySignature: String(args.verifySignature),
          url: url,
          platform: platform,
        }).then(
          function (res) {
            verifying--
            verified = res.errMsg === 'config:ok'
            answer(cb, res)
          },
          function () {
            verifying--
            verified = false
            answer(cb, { errMsg: 'config:fail' })
          },
        )
      } else if (SHARE_APIS.indexOf(name) !== -1 && verified && jsApiList.indexOf(name) === -1) {
        // An API the config did not list is refused as one called before the check.
        answer(cb, { errMsg: name + ':the permission value is offline verifying' })
      } else if (SHARE_APIS.indexOf(name) !== -1 && !verified) {
        // jweixin runs wx.ready's callbacks even after a failed config, and at once for a
        // config after the first: without a passed one, the calls fail.
        answer(cb, { errMsg: name + (verifying > 0 ? ':the permission value is offline verifying' : ':permission denied') })
      } else if (SHARE_APIS.indexOf(name) !== -1) {
        var card = { api: name, page: location.href, title: args.title, link: args.link, imgUrl: args.imgUrl }
        if (name === 'updateAppMessageShareData') card.desc = args.desc
        ask('share', card).then(
          function (res) {
            if (res.ok) console.info('WeChat share card (emulator):', card)
            answer(cb, { errMsg: typeof res.errMsg === 'string' ? res.errMsg : name + ':fail' })
          },
          function () { answer(cb, { errMsg: name + ':fail' }) },
        )
      } else if (name === 'getNetworkType') {
        answer(cb, { err_msg: 'network_type:wifi' })
      } else {
        answer(cb, { errMsg: name + ':fail' })
      }
    },
    on: function (name, cb) {
      listeners[name] = cb
    },
  }
  document.dispatchEvent(new Event('WeixinJSBridgeReady'))`

/** Forwards the bridge's calls to the emulator through the page's own origin. */
const SAME_ORIGIN = `
  window.__wxEmulator = function (kind, json) {
    return fetch('/__emulator/jssdk/' + kind, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json,
    }).then(function (response) {
      return response.text()
    })
  }`

function script(body: string) {
  return `(function () {
  if (window.WeixinJSBridge || !/MicroMessenger/i.test(navigator.userAgent)) return${body}
})()
`
}

/** For a test that exposes `window.__wxEmulator` itself. */
export const JSBRIDGE_SCRIPT = script(BRIDGE)

/** For a page served with `/__emulator/*` proxied to the emulator on its own origin. */
export const SAME_ORIGIN_JSBRIDGE_SCRIPT = script(SAME_ORIGIN + BRIDGE)
