import { describe, expect, it } from 'vitest'
import { ConfigError, loadAvatarOrigin, loadConfig, loadSessionSecrets } from './config.ts'

const SECRET = 's'.repeat(32)
const SETTINGS: Record<string, string> = {
  WECHAT_APPID: 'wx1234567890abcdef',
  WECHAT_APPSECRET: 'appsecret',
  SESSION_SECRET: SECRET,
}
const from =
  (settings: Record<string, string | undefined>) =>
  (name: string): string | undefined =>
    settings[name]

/** The ConfigError `load` throws, as `variable: message`. */
function refusal(load: () => unknown): string {
  try {
    load()
  } catch (error) {
    if (error instanceof ConfigError) return `${error.variable}: ${error.message}`
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('reads the settings, with the official API and zh_CN by default', () => {
    expect(loadConfig(from(SETTINGS))).toEqual({
      appId: 'wx1234567890abcdef',
      appSecret: 'appsecret',
      secrets: { current: SECRET, previous: [] },
      apiBase: 'https://api.weixin.qq.com',
      lang: 'zh_CN',
      timeoutMs: 5000,
    })
  })

  it('leaves WECHAT_SCOPE to the SPA: the functions use the scope WeChat grants', () => {
    const config = loadConfig(from({ ...SETTINGS, WECHAT_SCOPE: 'snsapi_base' }))
    expect(config).toEqual(loadConfig(from(SETTINGS)))
    expect(config).not.toHaveProperty('scope')
    expect(() => loadConfig(from({ ...SETTINGS, WECHAT_SCOPE: 'anything' }))).not.toThrow()
  })

  it.each(['WECHAT_APPID', 'WECHAT_APPSECRET', 'SESSION_SECRET'])('refuses without %s', (name) => {
    expect(refusal(() => loadConfig(from({ ...SETTINGS, [name]: ' ' })))).toBe(
      `${name}: ${name} is not set`,
    )
  })

  it('refuses a timeout out of bounds and a language WeChat does not know', () => {
    expect(refusal(() => loadConfig(from({ ...SETTINGS, WECHAT_TIMEOUT_MS: '50' })))).toBe(
      'WECHAT_TIMEOUT_MS: WECHAT_TIMEOUT_MS must be a whole number of milliseconds from 100 to 20000',
    )
    expect(refusal(() => loadConfig(from({ ...SETTINGS, WECHAT_LANG: 'fr' })))).toBe(
      'WECHAT_LANG: WECHAT_LANG must be one of zh_CN, zh_TW, en',
    )
  })
})

describe('WECHAT_API_BASE', () => {
  const apiBase = (value: string) =>
    loadConfig(from({ ...SETTINGS, WECHAT_API_BASE: value })).apiBase

  it.each([
    ['https://api.weixin.qq.com/', 'https://api.weixin.qq.com'],
    ['https://proxy.example.com/wechat', 'https://proxy.example.com/wechat'],
    ['http://localhost:8899', 'http://localhost:8899'],
    ['http://127.0.0.1:8899/', 'http://127.0.0.1:8899'],
    ['http://127.8.9.10', 'http://127.8.9.10'],
    ['http://[::1]:8899', 'http://[::1]:8899'],
  ])('accepts %s', (value, expected) => {
    expect(apiBase(value)).toBe(expected)
  })

  it.each([
    'http://api.weixin.qq.com',
    'http://10.0.0.5:8899',
    'http://128.0.0.1',
    'http://localhost.example.com',
    'http://127.0.0.1.nip.io',
    'http://[::2]',
    'ftp://localhost',
    'api.weixin.qq.com',
  ])('refuses %s, naming WECHAT_API_BASE', (value) => {
    expect(refusal(() => apiBase(value))).toMatch(/^WECHAT_API_BASE: WECHAT_API_BASE must be/)
  })
})

describe('WECHAT_AVATAR_ORIGIN', () => {
  const origin = (value: string | undefined) =>
    loadAvatarOrigin(from({ WECHAT_AVATAR_ORIGIN: value }))

  it('is unset by default: avatars come from their own WeChat hosts', () => {
    expect(origin(undefined)).toBeUndefined()
    expect(origin(' ')).toBeUndefined()
    expect(loadConfig(from(SETTINGS))).not.toHaveProperty('avatarOrigin')
  })

  it.each([
    ['http://127.0.0.1:8899', 'http://127.0.0.1:8899'],
    ['http://localhost:8899/', 'http://localhost:8899'],
    ['https://img.example.com', 'https://img.example.com'],
  ])('accepts %s as an origin', (value, expected) => {
    expect(origin(value)).toBe(expected)
    expect(loadConfig(from({ ...SETTINGS, WECHAT_AVATAR_ORIGIN: value })).avatarOrigin).toBe(
      expected,
    )
  })

  it.each([
    'http://thirdwx.qlogo.cn',
    'http://10.0.0.5:8899',
    'https://img.example.com/mmopen',
    'https://img.example.com/?x=1',
    'https://user:pw@img.example.com',
    'file:///tmp',
    'localhost:8899',
  ])('refuses %s, naming WECHAT_AVATAR_ORIGIN', (value) => {
    expect(refusal(() => origin(value))).toMatch(
      /^WECHAT_AVATAR_ORIGIN: WECHAT_AVATAR_ORIGIN must be an https origin/,
    )
  })
})

describe('loadSessionSecrets', () => {
  it('needs nothing but the session secrets', () => {
    expect(loadSessionSecrets(from({ SESSION_SECRET: SECRET }))).toEqual({
      current: SECRET,
      previous: [],
    })
  })

  it('reads earlier secrets from SESSION_SECRET_PREVIOUS, comma-separated', () => {
    const [a, b] = ['a'.repeat(32), 'b'.repeat(40)]
    expect(
      loadSessionSecrets(from({ SESSION_SECRET: SECRET, SESSION_SECRET_PREVIOUS: ` ${a} ,${b},` })),
    ).toEqual({ current: SECRET, previous: [a, b] })
  })

  it('refuses a secret shorter than 32 bytes, current or previous', () => {
    expect(refusal(() => loadSessionSecrets(from({ SESSION_SECRET: 'short' })))).toBe(
      'SESSION_SECRET: SESSION_SECRET must be at least 32 bytes',
    )
    expect(
      refusal(() =>
        loadSessionSecrets(
          from({ SESSION_SECRET: SECRET, SESSION_SECRET_PREVIOUS: `${'a'.repeat(32)},short` }),
        ),
      ),
    ).toBe(
      'SESSION_SECRET_PREVIOUS: SESSION_SECRET_PREVIOUS must be comma-separated secrets of at least 32 bytes each',
    )
  })
})
