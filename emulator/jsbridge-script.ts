/**
 * The script `GET /__emulator/jsbridge.js` serves: a `window.WeixinJSBridge` for the official
 * JS-SDK, to run before the page's own scripts (Playwright's `addInitScript`). The page's CSP
 * keeps it from calling the emulator, so it hands each call to `window.__wxEmulator(kind,
 * json)`, a function the test exposes and forwards to `POST /__emulator/jssdk/<kind>`.
 * iOS WeChat checks the URL the page landed on, recorded here before any pushState; the
 * others the current one (told from the User-Agent).
 *
 * @see ../shared/wechat-behaviour.md §8
 */
export const JSBRIDGE_SCRIPT = `(function () {
  if (window.WeixinJSBridge) return
  var landingUrl = location.href.split('#')[0]
  var platform = /iPhone|iPad|iPod/.test(navigator.userAgent) ? 'ios' : 'android'
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
  // Whether the last preVerifyJSAPI passed: the share calls need it.
  var verified = false
  var verifying = 0
  window.WeixinJSBridge = {
    invoke: function (name, args, cb) {
      args = args || {}
      if (name === 'preVerifyJSAPI') {
        verifying++
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
      } else if (!verified && (name === 'updateAppMessageShareData' || name === 'updateTimelineShareData')) {
        // jweixin runs wx.ready's callbacks even after a failed config, and at once for a
        // config after the first: without a passed one, the calls fail.
        answer(cb, { errMsg: name + (verifying > 0 ? ':the permission value is offline verifying' : ':permission denied') })
      } else if (name === 'updateAppMessageShareData' || name === 'updateTimelineShareData') {
        var card = { api: name, page: location.href, title: args.title, link: args.link, imgUrl: args.imgUrl }
        if (name === 'updateAppMessageShareData') card.desc = args.desc
        ask('share', card).then(
          function () { answer(cb, { errMsg: name + ':ok' }) },
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
  document.dispatchEvent(new Event('WeixinJSBridgeReady'))
})()
`
