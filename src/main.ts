import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { startLocale } from './locales'
import { createAppRouter } from './router'
import './assets/weui.css'
import './assets/main.css'

startLocale(localStorage, navigator.languages)

const app = createApp(App)
app.use(createPinia())
app.use(createAppRouter())
app.mount('#app')
