import { defineConfig } from '@playwright/test'
import { emulatorEnv } from './scripts/emulator-env.ts'
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from './e2e/chromium.ts'
import { APP_URL, E2E_APP_PORT, E2E_EMULATOR_PORT, EMULATOR_URL } from './e2e/ports.ts'

/** WeChat 8.0.40 on Android, from ../shared/wechat-behaviour.md §5. */
export const WECHAT_ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20230805 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 NetType/WIFI Language/zh_CN'

/** The phone every e2e test and benchmark browses as: WeChat on a 390 × 844 Android. */
export const WECHAT_ANDROID_PHONE = {
  locale: 'zh-CN',
  userAgent: WECHAT_ANDROID_UA,
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}

export default defineConfig({
  testDir: './e2e',
  // Generous: a 2-core CI machine builds, serves and drives Chromium at once.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  // The tests share one emulator, whose state (next user, faults) is global.
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/e2e.json' }]],
  use: {
    baseURL: APP_URL,
    ...WECHAT_ANDROID_PHONE,
    trace: 'retain-on-failure',
    launchOptions: { executablePath: CHROMIUM_EXECUTABLE, args: CHROMIUM_ARGS },
  },
  projects: [{ name: 'wechat-android', use: { browserName: 'chromium' } }],
  webServer: [
    {
      command: 'npx tsx emulator/cli.ts',
      url: `${EMULATOR_URL}/__emulator/health`,
      env: { EMULATOR_PORT: String(E2E_EMULATOR_PORT), EMULATOR_ALLOW_DESKTOP: '0' },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // `netlify serve` builds the SPA and bundles the functions as a deploy would. Edge
      // functions need Deno, which cannot run offline; the app uses Functions only.
      command: `npx netlify serve --offline --internal-disable-edge-functions --port ${E2E_APP_PORT} --functions-port ${E2E_APP_PORT - 1}`,
      url: `${APP_URL}/`,
      // A short per-call bound keeps the timeout tests quick.
      env: { ...emulatorEnv(EMULATOR_URL), WECHAT_TIMEOUT_MS: '1500', BROWSER: 'none' },
      reuseExistingServer: false,
      timeout: 180_000,
    },
  ],
})
