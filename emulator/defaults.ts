/**
 * The emulator's built-in identity. `npm run dev` and the tests use these when no real
 * Official Account is configured; they are public test values, not secrets.
 */
export const EMULATOR_APPID = 'wxd0e1a2b3c4f5e6d7'
export const EMULATOR_APPSECRET = '5e7a1f00c0ffee00d0e1a2b3c4f5e6d7'
export const EMULATOR_HOST = '127.0.0.1'
export const EMULATOR_PORT = 8899
/** The web-authorization domain the emulator enforces on redirect_uri, as WeChat's backend would. */
export const EMULATOR_DOMAIN = 'localhost'
export const EMULATOR_APP_NAME = '本地测试公众号'
