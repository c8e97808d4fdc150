import {
  stateForVerifier,
  type LoginRequest,
  type SessionUser,
  type WechatLang,
} from '../../contract/index.ts'
import type { ServerConfig } from './config.ts'
import { ApiError } from './http.ts'
import { exchangeCode, fetchUserInfo, type WebAccessToken, type WechatUserInfo } from './wechat.ts'

export interface LoginDeps {
  config: ServerConfig
  fetch?: typeof fetch
  /** The user's language for /sns/userinfo; WECHAT_LANG when absent. */
  lang?: WechatLang
}

export interface LoginResult {
  user: SessionUser
  /** Kept for the server side only; never part of an answer. */
  token: WebAccessToken
}

/** WeChat's avatar hosts; anything else could be a tracking pixel or mixed content. */
const AVATAR_HOSTS = /^(?:[a-z0-9-]+\.)*(?:qlogo\.cn|qpic\.cn)$/

/** An https URL on a WeChat avatar host, or '' (the SPA shows its placeholder). */
export function safeAvatarUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return ''
  }
  if (url.protocol === 'http:') url.protocol = 'https:'
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return ''
  return AVATAR_HOSTS.test(url.hostname) ? url.href : ''
}

export function toSessionUser(
  token: Pick<WebAccessToken, 'openid' | 'scope' | 'unionid'>,
  info: WechatUserInfo | null,
): SessionUser {
  const unionid = token.unionid ?? info?.unionid
  return {
    openid: token.openid,
    ...(unionid ? { unionid } : {}),
    scope: token.scope,
    nickname: info?.nickname ?? '',
    headimgurl: info ? safeAvatarUrl(info.headimgurl) : '',
    sex: info?.sex ?? 0,
    province: info?.province ?? '',
    city: info?.city ?? '',
    country: info?.country ?? '',
    privilege: info?.privilege ?? [],
  }
}

/**
 * Bound on the whole sign-in, both WeChat calls together: well under the 10 s a
 * synchronous Netlify Function may run, so the user gets our error page, not Netlify's.
 */
export const LOGIN_BUDGET_MS = 8000

/**
 * Refuses a code brought by another browser than the one that asked for it, before WeChat is
 * called. Only `state` travels with the code; the verifier it is made from stays in the
 * localStorage of the browser that started the login, which survives the redirect where
 * WeChat's in-app browser drops sessionStorage and sometimes cookies.
 * @see wechat-behaviour.md §6 (2)
 */
export async function requireOwnState({ state, verifier }: LoginRequest): Promise<void> {
  if ((await stateForVerifier(verifier)) !== state) {
    throw new ApiError('state_invalid', 'the state does not come from this verifier')
  }
}

/**
 * Steps 4 and 5: trades the code, then reads the profile when the grant allows it.
 * A snapshot-page user is a virtual identity, so no one is signed in as them. Each call
 * spends the code: a second one answers 40163 (`code_used`), which the SPA handles.
 * @see wechat-behaviour.md §2 (snapshot page), §3, §4
 */
export async function signInWithCode(code: string, deps: LoginDeps): Promise<LoginResult> {
  const { config } = deps
  const client = { ...config, fetch: deps.fetch, deadline: Date.now() + LOGIN_BUDGET_MS }
  const token = await exchangeCode(client, code)
  if (token.is_snapshotuser) {
    throw new ApiError('snapshot_user', 'snapshot-page users must open the full service first')
  }
  const info =
    token.scope === 'snsapi_userinfo'
      ? await fetchUserInfo(client, token, deps.lang ?? config.lang)
      : null
  return { user: toSessionUser(token, info), token }
}
