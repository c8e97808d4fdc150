import type { Plugin } from 'vite'

/**
 * Under `npm run dev` only: the emulator's WeixinJSBridge before the page's scripts, as
 * WeChat has it, so a desktop browser with a WeChat User-Agent sets its share card. The
 * page's CSP allows this origin only, so `/__emulator/*` is proxied to the emulator and the
 * bridge calls it there. `vite build` and `vite preview` never see it.
 */
export function wechatBridge(emulatorUrl: string | undefined): Plugin {
  return {
    name: 'wechat-emulator-bridge',
    apply: (_config, { command, isPreview }) => command === 'serve' && !isPreview && !!emulatorUrl,
    config: () => ({
      server: { proxy: { '/__emulator/': { target: emulatorUrl, changeOrigin: true } } },
    }),
    // A classic script in the head runs before the app's module script; it does nothing
    // unless the User-Agent says MicroMessenger.
    transformIndexHtml: () => [
      {
        tag: 'script',
        attrs: { src: '/__emulator/jsbridge.js?sameOrigin=1' },
        injectTo: 'head-prepend',
      },
    ],
  }
}
