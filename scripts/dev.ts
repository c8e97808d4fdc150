/**
 * `npm run dev`: the app through `netlify dev` on http://localhost:8888. With no
 * WECHAT_APPID set, it first starts the local WeChat emulator and points the SPA and the
 * functions at it, so a fresh checkout signs in with no configuration.
 */
import { spawn } from 'node:child_process'
import { createEmulator } from '../emulator/server.ts'
import { emulatorEnv } from './emulator-env.ts'
import { forgetSiteTicket } from './site-blobs.ts'

const env: NodeJS.ProcessEnv = { ...process.env }

/** Settings the developer gave win over the emulator's (e.g. a WECHAT_SCOPE to try). */
function definedOnly(source: NodeJS.ProcessEnv) {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value))
}
let stopEmulator = async () => {}

if (!env.WECHAT_APPID) {
  // A new emulator knows none of the tickets the site kept from the last one: every
  // signature would fail for their 2 hours.
  await forgetSiteTicket()
  const emulator = await createEmulator({
    port: Number(env.EMULATOR_PORT) || undefined,
    // A desktop browser may continue past "请在微信客户端打开链接" while developing.
    allowDesktop: true,
  })
  stopEmulator = () => emulator.close()
  Object.assign(env, { ...emulatorEnv(emulator.url), ...definedOnly(env) })
  // Vite then proxies /__emulator/* to it and puts its WeixinJSBridge in the page.
  env.WECHAT_EMULATOR_URL = emulator.url
  console.log(`WeChat emulator: ${emulator.url} (appid ${env.WECHAT_APPID})`)
}

// Edge functions need Deno, which cannot run offline; the app uses Functions only.
const netlify = spawn(
  'npx',
  ['netlify', 'dev', '--offline', '--internal-disable-edge-functions', ...process.argv.slice(2)],
  { env, stdio: 'inherit' },
)

async function shutdown(code: number) {
  await stopEmulator()
  process.exit(code)
}

netlify.on('exit', (code) => void shutdown(code ?? 0))
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => netlify.kill(signal))
}
