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
 * Step 1: sends the browser to WeChat's authorize page. `location.replace` keeps the
 * authorize step out of history, so Back never lands on it. `automatic` marks a
 * re-authorization the app starts by itself, which spends the one-per-action budget.
 */
export async function beginWechatLogin(
  returnTo: string,
  { automatic = false } = {},
): Promise<void> {
  if (!appConfig.appId) throw new LoginFailure('not_configured')
  if (automatic) noteAutomaticRetry(localStorage, Date.now())
  else resetAutomaticRetry(localStorage)
  const verifier = createVerifier()
  const state = await stateForVerifier(verifier)
  const destination = safeReturnTo(returnTo, location.origin)
  savePendingLogin(localStorage, { verifier, state, returnTo: destination }, Date.now())
  browser.replace(
    buildAuthorizeUrl({
      authorizeUrl: appConfig.authorizeUrl,
      appId: appConfig.appId,
      redirectUri: `${location.origin}${CALLBACK_PATH}`,
      scope: appConfig.scope,
      state,
      forcePopup: appConfig.forcePopup,
    }),
  )
}
