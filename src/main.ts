import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { startLocale } from './locales'
import { preferredLanguages } from './locales/detect'
import { createAppRouter } from './router'
import './assets/weui.less'
import './assets/weui-overrides.css'
import './assets/main.css'

const app = createApp(App)
app.use(createPinia())
app.use(createAppRouter())
// Simplified Chinese is in this bundle and resolves at once; another language is loaded
// before the mount, so the page never flashes Chinese first.
void startLocale(localStorage, preferredLanguages(navigator.userAgent, navigator.languages)).then(
  () => app.mount('#app'),
)
