import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { startLocale } from './locales'
import { createAppRouter } from './router'
import './assets/weui.css'
import './assets/main.css'

const app = createApp(App)
app.use(createPinia())
app.use(createAppRouter())
// Simplified Chinese is in this bundle and resolves at once; another language is mounted
// in, not switched to after a flash of Chinese.
void startLocale(localStorage, navigator.languages).then(() => app.mount('#app'))
