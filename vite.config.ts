import { fileURLToPath, URL } from 'node:url'
import { defineConfig, loadEnv } from 'vite'
import vue from '@vitejs/plugin-vue'
import { OFFICIAL_AUTHORIZE_URL } from './contract/index.ts'
import { wechatBridge } from './scripts/vite-wechat-bridge.ts'

export default defineConfig(({ mode }) => {
  // Only these public values reach the bundle. A prefix-based envPrefix such as
  // 'WECHAT_' would also ship WECHAT_APPSECRET, so each name is listed explicitly.
  const env = { ...loadEnv(mode, process.cwd(), ''), ...process.env }
  const appConfig = {
    appId: env.WECHAT_APPID ?? '',
    authorizeUrl: env.WECHAT_OAUTH_URL || OFFICIAL_AUTHORIZE_URL,
    scope: env.WECHAT_SCOPE || 'snsapi_userinfo',
    forcePopup: env.WECHAT_FORCE_POPUP === 'true',
  }

  return {
    // Every component is <script setup>, so Vue's Options API support can be left out.
    // wechatBridge: `npm run dev` sets WECHAT_EMULATOR_URL; a serve-only stand-in for WeChat.
    plugins: [vue({ features: { optionsAPI: false } }), wechatBridge(env.WECHAT_EMULATOR_URL)],
    define: {
      __APP_CONFIG__: JSON.stringify(appConfig),
    },
    resolve: {
      alias: {
        '@': fileURLToPath(new URL('./src', import.meta.url)),
      '@contract': fileURLToPath(new URL('./contract/index.ts', import.meta.url)),
      },
    },
    build: {
      // WeChat's in-app browsers (XWEB, iOS WKWebView) are evergreen Chromium/Safari.
      target: 'es2020',
    },
  }
})
