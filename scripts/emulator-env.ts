import { EMULATOR_APPID, EMULATOR_APPSECRET } from '../emulator/defaults.ts'

/** A fixed development secret; real deployments set their own SESSION_SECRET. */
export const DEV_SESSION_SECRET = 'dev-only-session-secret-0123456789abcdef'

/** The environment that points the SPA build and the functions at an emulator. */
export function emulatorEnv(emulatorUrl: string) {
  return {
    WECHAT_APPID: EMULATOR_APPID,
    WECHAT_APPSECRET: EMULATOR_APPSECRET,
    WECHAT_OAUTH_URL: `${emulatorUrl}/connect/oauth2/authorize`,
    WECHAT_API_BASE: emulatorUrl,
    // WeChat's avatar hosts are out of reach here; the emulator serves its users' pictures.
    WECHAT_AVATAR_ORIGIN: emulatorUrl,
    SESSION_SECRET: DEV_SESSION_SECRET,
  }
}
