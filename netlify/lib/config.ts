import { WECHAT_LANGS, type WechatLang } from '../../contract/index.ts'

export const OFFICIAL_API_BASE = 'https://api.weixin.qq.com'

export interface ServerConfig {
  appId: string
  appSecret: string
  apiBase: string
  lang: WechatLang
  secrets: SessionSecrets
  /** Per-call bound on WeChat requests, so a stalled upstream never hangs a login. */
  timeoutMs: number
  /** Where WeChat's avatar images are fetched instead of their own host (the emulator's). */
  avatarOrigin?: string
}

/**
 * SESSION_SECRET seals and opens; SESSION_SECRET_PREVIOUS (comma-separated) only opens, so
 * sessions and stored grants sealed before a rotation stay usable until they are removed.
 */
export interface SessionSecrets {
  current: string
  previous: string[]
}

/** A missing or invalid setting; `variable` names what the operator must set. */
export class ConfigError extends Error {
  readonly variable: string

  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

type EnvGetter = (name: string) => string | undefined

function required(get: EnvGetter, name: string): string {
  const value = get(name)?.trim()
  if (!value) throw new ConfigError(name, 'is not set')
  return value
}

function oneOf<T extends string>(
  get: EnvGetter,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = get(name)?.trim()
  if (!value) return fallback
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}`)
  }
  return value as T
}

/** Hosts plain http may reach: only this machine, where the emulator runs. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/** The API base without a trailing slash: https, or http to a loopback host only. */
function loadApiBase(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError('WECHAT_API_BASE', 'must be an https URL')
  }
  const plainLoopback = url.protocol === 'http:' && isLoopback(url.hostname)
  if (url.protocol !== 'https:' && !plainLoopback) {
    // The code exchange carries the AppSecret, and the answers carry the user's tokens.
    throw new ConfigError('WECHAT_API_BASE', 'must be an https URL (http only to localhost)')
  }
  return value.replace(/\/+$/, '')
}

/**
 * WECHAT_AVATAR_ORIGIN: an origin (https, or http to a loopback host) from which WeChat's avatar
 * images are fetched with their own path and query, as the emulator serves its test users'.
 * Unset in production, where they are fetched from WeChat's hosts.
 */
export function loadAvatarOrigin(get: EnvGetter): string | undefined {
  const value = get('WECHAT_AVATAR_ORIGIN')?.trim()
  if (!value) return undefined
  const problem = 'must be an https origin such as https://img.example (http only to localhost)'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError('WECHAT_AVATAR_ORIGIN', problem)
  }
  const plainLoopback = url.protocol === 'http:' && isLoopback(url.hostname)
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password
  if ((url.protocol !== 'https:' && !plainLoopback) || !bare) {
    throw new ConfigError('WECHAT_AVATAR_ORIGIN', problem)
  }
  return url.origin
}

/** A host as WeChat's JS接口安全域名 takes it: no scheme, path or port. */
const HOST =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/

/**
 * WECHAT_JS_DOMAINS (comma-separated hosts): where pages may be signed for the JS-SDK besides
 * the site's own origin, such as a custom domain the functions are also reached under.
 * Lower-cased, as URLs spell their host.
 */
export function loadJsDomains(get: EnvGetter): string[] {
  const hosts = (get('WECHAT_JS_DOMAINS') ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean)
  if (hosts.some((host) => !HOST.test(host))) {
    throw new ConfigError(
      'WECHAT_JS_DOMAINS',
      'must be comma-separated host names, such as www.example.com (no scheme, path or port)',
    )
  }
  return hosts
}

/** Keys are derived from these; fewer than 32 bytes is guessable offline. */
const MIN_SECRET_BYTES = 32

/** The session secrets alone: all that reading or ending a session needs. */
export function loadSessionSecrets(get: EnvGetter): SessionSecrets {
  const current = required(get, 'SESSION_SECRET')
  if (Buffer.byteLength(current) < MIN_SECRET_BYTES) {
    throw new ConfigError('SESSION_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes`)
  }
  const previous = (get('SESSION_SECRET_PREVIOUS') ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean)
  if (previous.some((secret) => Buffer.byteLength(secret) < MIN_SECRET_BYTES)) {
    throw new ConfigError(
      'SESSION_SECRET_PREVIOUS',
      `must be comma-separated secrets of at least ${MIN_SECRET_BYTES} bytes each`,
    )
  }
  return { current, previous }
}

/**
 * Reads the functions' settings. Nothing has a silent production default for the
 * credentials: `npm run dev` sets them to the emulator's, and a deploy must set its own.
 * WECHAT_SCOPE is the SPA's (build time): the functions use the scope WeChat grants.
 */
export function loadConfig(get: EnvGetter): ServerConfig {
  const apiBase = loadApiBase(get('WECHAT_API_BASE')?.trim() || OFFICIAL_API_BASE)
  const timeout = Number(get('WECHAT_TIMEOUT_MS') || 5000)
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 20_000) {
    throw new ConfigError(
      'WECHAT_TIMEOUT_MS',
      'must be a whole number of milliseconds from 100 to 20000',
    )
  }
  const secrets = loadSessionSecrets(get)
  const avatarOrigin = loadAvatarOrigin(get)
  return {
    appId: required(get, 'WECHAT_APPID'),
    appSecret: required(get, 'WECHAT_APPSECRET'),
    secrets,
    apiBase,
    lang: oneOf(get, 'WECHAT_LANG', WECHAT_LANGS, 'zh_CN'),
    timeoutMs: timeout,
    ...(avatarOrigin ? { avatarOrigin } : {}),
  }
}
