import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { canAuthorize, currentClient } from './auth/client'
import { startLocale } from './locales'
import { preferredLanguages } from './locales/detect'
import { createAppRouter } from './router'
import './assets/weui.less'
import './assets/weui-overrides.css'
import './assets/main.css'

// Before the router exists: its guard replaces the address bar to drop WeChat's code and
// state, but iOS WeChat checks the JS-SDK signature against this URL, code and state included.
const landingUrl = location.href
const app = createApp(App)
const router = createAppRouter()
const client = currentClient()
// The JS-SDK and its set-up are only for WeChat itself, in a chunk of their own.
if (canAuthorize(client)) {
  void import('./wechat/share')
    .then(({ installWechatShare }) => installWechatShare(router, { landingUrl, client }))
    .catch(() => undefined)
}
app.use(createPinia())
app.use(router)
// Simplified Chinese is in this bundle and resolves at once; another language is loaded
// before the mount, so the page never flashes Chinese first.
void startLocale(localStorage, preferredLanguages(navigator.userAgent, navigator.languages)).then(
  () => app.mount('#app'),
)
