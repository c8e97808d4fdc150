import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const PROJECT_DIR = dirname(BENCH_DIR)
export const RESULTS_DIR = join(BENCH_DIR, 'results')

/** Apart from the e2e run's (8876–8878) and `npm run dev`'s (8888, 8899). */
export const APP_PORT = Number(process.env.BENCH_APP_PORT) || 8867
/** `netlify serve` itself, behind the compressing proxy on APP_PORT (servers.ts). */
export const SERVE_PORT = Number(process.env.BENCH_SERVE_PORT) || 8866
export const EMULATOR_PORT = Number(process.env.BENCH_EMULATOR_PORT) || 8868

/** `localhost`: the emulator only accepts redirect_uri on its web-authorization domain. */
export const APP_URL = `http://localhost:${APP_PORT}`
export const EMULATOR_URL = `http://127.0.0.1:${EMULATOR_PORT}`

/** The floor app's base path on the app's own origin (built into the site copy). */
export const FLOOR_BASE = '/floor'
/** The physical-limit page: one script, one POST, then the nickname. */
export const LIMIT_CALLBACK = '/limit/callback.html'
