import type { WechatScope } from '@contract'

export interface AuthorizeParams {
  /** `https://open.weixin.qq.com/connect/oauth2/authorize`, or the emulator's. */
  authorizeUrl: string
  appId: string
  redirectUri: string
  scope: WechatScope
  state: string
  forcePopup?: boolean
}

/**
 * Step 1's URL. WeChat matches the parameter order strictly and needs the
 * `#wechat_redirect` fragment, so the string is assembled by hand, not by URLSearchParams.
 * @see wechat-behaviour.md §1
 */
export function buildAuthorizeUrl(params: AuthorizeParams): string {
  const query = [
    `appid=${encodeURIComponent(params.appId)}`,
    `redirect_uri=${encodeURIComponent(params.redirectUri)}`,
    'response_type=code',
    `scope=${params.scope}`,
    `state=${params.state}`,
  ]
  if (params.forcePopup) query.push('forcePopup=true')
  return `${params.authorizeUrl}?${query.join('&')}#wechat_redirect`
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A fresh unguessable verifier: 43 characters of [A-Za-z0-9] (256 bits), kept by this browser
 * while the `state` sent to WeChat is derived from it (`stateForVerifier` in the contract).
 */
export function createVerifier(length = 43): string {
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps every
  // character equally likely.
  let verifier = ''
  while (verifier.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248 && verifier.length < length) verifier += ALPHABET[byte % 62]
    }
  }
  return verifier
}
