import wx from 'weixin-js-sdk'
import type { Wx } from './jssdk'

// Bundled from npm rather than a <script> from res.wx.qq.com: the CSP stays at
// script-src 'self' and the lockfile pins the version. Imported only dynamically, so it is a
// chunk of its own that only WeChat downloads. Its typings demand callbacks WeChat treats as
// optional, hence the narrower type.
export default wx as unknown as Wx
