import type { WechatScope } from '@contract'

const raw = __APP_CONFIG__
const scope: WechatScope = raw.scope === 'snsapi_base' ? 'snsapi_base' : 'snsapi_userinfo'

/** Public WeChat settings, baked in at build time (see vite.config.ts). */
export const appConfig = {
  appId: raw.appId,
  authorizeUrl: raw.authorizeUrl,
  scope,
  forcePopup: raw.forcePopup,
}
