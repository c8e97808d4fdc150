/**
 * Set while a session cookie is believed to exist. The cookie itself is HttpOnly, so
 * without this hint every visit to a protected page would ask the API first, an extra
 * round trip before the redirect to WeChat.
 */
export const SIGNED_IN_HINT_KEY = 'wx-login:signed-in'
