/// <reference types="vite/client" />

// The bench's tsc has no .vue support; vite builds these files, ESLint lints them.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent
  export default component
}
