import type { SessionUser, WechatLang } from '../../contract/index.ts'
import { withAvatar } from './avatars.ts'
import type { ServerConfig } from './config.ts'
import type { Bookkeep } from './handlers.ts'
import { ApiError } from './http.ts'
import { LOGIN_BUDGET_MS, toSessionUser } from './login.ts'
import type { StoreFactory } from './stores.ts'
import { deleteTokens, grantTokens, loadTokens, saveTokens } from './tokens.ts'
import { recordProfile } from './users.ts'
import { checkAccessToken, fetchUserInfo, refreshAccessToken, WechatError } from './wechat.ts'

export interface RefreshDeps {
  config: ServerConfig
  stores: StoreFactory
  now: number
  fetch?: typeof fetch
  lang?: WechatLang
  bookkeep: Bookkeep
}

/** Errcodes meaning the stored grant is gone for good: only a new authorization helps. */
const GRANT_GONE = new Set([40030, 42002])

/** Margin before an access_token's stated expiry at which it is no longer trusted. */
const EXPIRY_MARGIN_MS = 60_000

function isErrcode(error: unknown): error is WechatError {
  return error instanceof WechatError && error.kind === 'errcode'
}

/**
 * Re-reads the signed-in user's profile with the grant kept on the server, for up to the
 * refresh_token's 30 days, with no new authorization: an unexpired access_token is checked
 * with /sns/auth, anything else is renewed with /sns/oauth2/refresh_token first.
 * @see wechat-behaviour.md §4
 */
export async function refreshProfile(user: SessionUser, deps: RefreshDeps): Promise<SessionUser> {
  const { config, now } = deps
  const loaded = await loadTokens(deps.stores, config.secrets, user.openid)
  if (!loaded || loaded.tokens.refreshExpiresAt <= now) {
    throw new ApiError('reauth_required', 'no usable wechat grant is stored')
  }
  const { tokens: stored, signIn } = loaded
  const client = { ...config, fetch: deps.fetch, deadline: Date.now() + LOGIN_BUDGET_MS }
  let accessToken = stored.accessToken
  let usable = stored.accessExpiresAt - EXPIRY_MARGIN_MS > now
  if (usable) {
    try {
      await checkAccessToken(client, { access_token: accessToken, openid: user.openid })
    } catch (error) {
      if (!isErrcode(error)) throw error
      usable = false
    }
  }
  if (!usable) {
    try {
      const renewed = await refreshAccessToken(client, stored.refreshToken)
      // Should this write fail, the stored refresh_token still renews next time.
      deps.bookkeep('token store', () =>
        saveTokens(deps.stores, config.secrets, signIn, grantTokens(renewed, now, stored), now),
      )
      accessToken = renewed.access_token
    } catch (error) {
      if (isErrcode(error) && GRANT_GONE.has(error.errcode ?? 0)) {
        deps.bookkeep('token deletion', () => deleteTokens(deps.stores, user.openid, now))
        throw new ApiError('reauth_required', 'wechat no longer honours the grant', {
          cause: error,
        })
      }
      throw error
    }
  }
  // A snsapi_base grant may not read the profile; there is nothing more to re-read.
  if (stored.scope !== 'snsapi_userinfo') return user
  const info = await fetchUserInfo(
    client,
    { access_token: accessToken, openid: user.openid },
    deps.lang ?? config.lang,
  )
  const next = await withAvatar(
    toSessionUser({ openid: user.openid, scope: stored.scope, unionid: user.unionid }, info),
    config.secrets,
  )
  deps.bookkeep('user record', () => recordProfile(deps.stores('users'), next, new Date(now)))
  return next
}
