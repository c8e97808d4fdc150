import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// A plain config: the floor is what the stack gives without tuning.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Served beside the app on its origin (bench/servers.ts), so both call the same functions.
  base: '/floor/',
  plugins: [vue()],
})
