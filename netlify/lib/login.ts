import {
  stateForVerifier,
  type LoginRequest,
  type SessionUser,
  type WechatLang,
} from '../../contract/index.ts'
import { safeAvatarUrl, withAvatar } from './avatars.ts'
import type { ServerConfig } from './config.ts'
import { ApiError } from './http.ts'
import type { StoreFactory } from './stores.ts'
import { readUser, type StoredUser } from './users.ts'
import { exchangeCode, fetchUserInfo, type WebAccessToken, type WechatUserInfo } from './wechat.ts'

export interface LoginDeps {
  config: ServerConfig
  fetch?: typeof fetch
  /** The user's language for /sns/userinfo; WECHAT_LANG when absent. */
  lang?: WechatLang
  /** A silent sign-in (`LoginRequest.silent`): where the openid's stored profile is read. */
  silent?: { stores: StoreFactory }
}

export interface LoginResult {
  user: SessionUser
  /** Kept for the server side only; never part of an answer. */
  token: WebAccessToken
  /**
   * Whether `token` becomes the grant 刷新资料 uses: not a silent sign-in's snsapi_base token,
   * which cannot read the profile, so the stored snsapi_userinfo grant stays.
   */
  keepsGrant: boolean
}

export { safeAvatarUrl } from './avatars.ts'

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
 * A silent sign-in's user: the profile stored for the token's openid, when it was read with
 * snsapi_userinfo (at a sign-in or 刷新资料; a silent sign-in carries it on). Its `scope`
 * stays snsapi_userinfo: a SessionUser's scope names the grant its profile was read with.
 * Anyone else must consent first: `profile_required`.
 * @see wechat-behaviour.md §7
 */
async function storedProfile(
  token: Pick<WebAccessToken, 'openid' | 'unionid'>,
  stores: StoreFactory,
): Promise<SessionUser> {
  let stored: StoredUser | null
  try {
    stored = await readUser(stores('users'), token.openid)
  } catch (cause) {
    // Not profile_required: that would ask a person the site knows for their consent again.
    throw new ApiError('internal', 'the stored profile cannot be read now', { cause })
  }
  if (stored?.profile.scope !== 'snsapi_userinfo') {
    throw new ApiError('profile_required', 'the site holds no profile for this openid')
  }
  const unionid = token.unionid ?? stored.unionid
  return { ...stored.profile, openid: token.openid, ...(unionid ? { unionid } : {}) }
}

/**
 * Steps 4 and 5: trades the code, then reads the profile when the grant allows it, or, for a
 * silent snsapi_base sign-in, takes the stored one: one WeChat call. A snapshot-page user is a
 * virtual identity, so no one is signed in as them. Each call spends the code: a second one
 * answers 40163 (`code_used`), which the SPA handles.
 * @see wechat-behaviour.md §2 (snapshot page), §3, §4, §7
 */
export async function signInWithCode(code: string, deps: LoginDeps): Promise<LoginResult> {
  const { config } = deps
  const client = { ...config, fetch: deps.fetch, deadline: Date.now() + LOGIN_BUDGET_MS }
  const token = await exchangeCode(client, code)
  if (token.is_snapshotuser) {
    throw new ApiError('snapshot_user', 'snapshot-page users must open the full service first')
  }
  // A userinfo token signs in as always, whatever was asked.
  if (deps.silent && token.scope === 'snsapi_base') {
    const user = await storedProfile(token, deps.silent.stores)
    // Signed again under the current secret, for the 132 px copy of the stored avatar.
    return { user: await withAvatar(user, config.secrets), token, keepsGrant: false }
  }
  const info =
    token.scope === 'snsapi_userinfo'
      ? await fetchUserInfo(client, token, deps.lang ?? config.lang)
      : null
  return {
    user: await withAvatar(toSessionUser(token, info), config.secrets),
    token,
    keepsGrant: true,
  }
}
