import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { startLocale } from './locales'
import { preferredLanguages } from './locales/detect'
import { createAppRouter, firstPageReady } from './router'
import './assets/weui.css'
import './assets/main.css'

const app = createApp(App)
const router = createAppRouter()
app.use(createPinia())
app.use(router)
// Simplified Chinese is in this bundle and resolves at once; another language is mounted
// in, not switched to after a flash of Chinese. The first page is mounted when ready
// (firstPageReady), or the loading screen if that takes long. The mount runs in a task of
// its own: evaluating the bundle and the first render are each long on a slow phone, and
// apart neither holds off a tap as long.
const languages = preferredLanguages(navigator.userAgent, navigator.languages)
void Promise.all([
  startLocale(localStorage, languages),
  firstPageReady(router, location.pathname),
]).then(() => setTimeout(() => app.mount('#app')))
