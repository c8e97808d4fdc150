import { appConfig } from '@/config'
import { LoginFailure } from '@/api/failure'
import { stateForVerifier } from '@contract'
import { buildAuthorizeUrl, createVerifier } from './authorize'
import { CALLBACK_PATH } from './callback'
import { savePendingLogin } from './pending'
import { noteAutomaticRetry, resetAutomaticRetry } from './retry'
import { safeReturnTo } from './return-to'

/** Indirection so tests can observe the redirect; jsdom cannot navigate. */
export const browser = {
  replace(url: string) {
    window.location.replace(url)
  },
}

/**
 * Which authorization to ask WeChat for (wechat-behaviour.md §7):
 * - `silent`: snsapi_base, never a page; a person the site knows is signed in with the
 *   profile it keeps, anyone else is shown what the profile is for (a page opening);
 * - `tap`: the same, started by the person's tap, so someone new goes on to the consent
 *   sheet at once, with no second tap;
 * - `consent`: snsapi_userinfo, the consent sheet: only ever on the person's own tap.
 * With WECHAT_SCOPE=snsapi_base every mode is a plain snsapi_base sign-in (openid only).
 */
export type LoginMode = 'silent' | 'tap' | 'consent'

/** The modes whose code the server is told is silent (LoginRequest.silent). */
export function isSilent(mode: LoginMode): boolean {
  return mode !== 'consent' && appConfig.scope === 'snsapi_userinfo'
}

/**
 * Step 1: sends the browser to WeChat's authorize page. `location.replace` keeps the
 * authorize step out of history, so Back never lands on it. `automatic` marks a
 * re-authorization the app starts by itself, which spends the one-per-action budget.
 */
export async function beginWechatLogin(
  returnTo: string,
  { automatic = false, mode = 'silent' as LoginMode } = {},
): Promise<void> {
  if (!appConfig.appId) throw new LoginFailure('not_configured')
  if (automatic) noteAutomaticRetry(localStorage, Date.now())
  else resetAutomaticRetry(localStorage)
  const verifier = createVerifier()
  const state = await stateForVerifier(verifier)
  const destination = safeReturnTo(returnTo, location.origin)
  savePendingLogin(localStorage, { verifier, state, returnTo: destination, mode }, Date.now())
  browser.replace(
    buildAuthorizeUrl({
      authorizeUrl: appConfig.authorizeUrl,
      appId: appConfig.appId,
      redirectUri: `${location.origin}${CALLBACK_PATH}`,
      scope: isSilent(mode) ? 'snsapi_base' : appConfig.scope,
      state,
      forcePopup: appConfig.forcePopup,
    }),
  )
}
