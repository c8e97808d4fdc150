/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_WECHAT_APPID: string
  readonly VITE_WECHAT_OAUTH_URL: string
}

// The bench's tsc has no .vue support; vite builds these files, ESLint lints them.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent
  export default component
}
