import { stateForVerifier } from '../../contract/index.ts'

const VERIFIER_KEY = 'floor-verifier'

/** Sends the browser to WeChat, keeping the verifier that the state is made from. */
export async function startLogin(): Promise<void> {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  const verifier = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  localStorage.setItem(VERIFIER_KEY, verifier)
  // WeChat wants its parameters in this order, and the fragment.
  const query = new URLSearchParams({
    appid: import.meta.env.VITE_WECHAT_APPID,
    redirect_uri: `${location.origin}${import.meta.env.BASE_URL}auth/callback`,
    response_type: 'code',
    scope: 'snsapi_userinfo',
    state: await stateForVerifier(verifier),
  })
  location.replace(`${import.meta.env.VITE_WECHAT_OAUTH_URL}?${query}#wechat_redirect`)
}

export const savedVerifier = () => localStorage.getItem(VERIFIER_KEY) ?? ''
