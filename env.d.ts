/// <reference types="vite/client" />

/** Public WeChat settings baked in at build time by vite.config.ts; never secrets. */
declare const __APP_CONFIG__: {
  appId: string
  authorizeUrl: string
  scope: string
  forcePopup: boolean
}
