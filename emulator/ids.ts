import { createHash, randomBytes, randomInt } from 'node:crypto'

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function digest(input: string, encoding: 'base64url' | 'base64'): string {
  return createHash('sha256').update(input).digest(encoding)
}

/**
 * A fresh authorization code: 32 characters of `[0-9A-Za-z]`, different every time.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function newCode(): string {
  let code = ''
  for (let i = 0; i < 32; i++) code += ALPHANUMERIC.charAt(randomInt(ALPHANUMERIC.length))
  return code
}

/**
 * A fresh access or refresh token shaped like WeChat's: `83_` and 107 characters of base64url.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function newToken(): string {
  return `83_${randomBytes(81).toString('base64url').slice(0, 107)}`
}

/**
 * The openid of a user for an app. Derived, not stored, so that a reload or a restart of the
 * emulator gives the same openid, as WeChat does for the same person and account.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function openidFor(appId: string, userId: string): string {
  return `o${digest(`openid:${appId}:${userId}`, 'base64url').slice(0, 27)}`
}

/**
 * The unionid of a user: stable per user and independent of the app, like an Open Platform
 * unionid.
 *
 * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Authorized_Interface_Calling_UnionID.html
 */
export function unionidFor(userId: string): string {
  return `o${digest(`unionid:${userId}`, 'base64url').slice(0, 27)}`
}

/**
 * The path segment of a user's avatar URL. Real ones are long alphanumeric strings that
 * change when the user changes avatar; this one is stable so browser tests can route it.
 */
export function avatarPathFor(userId: string): string {
  const letters = createHash('sha512').update(`avatar:${userId}`).digest('base64')
  return `Q0j4TwGTfTK${letters.replace(/[^A-Za-z0-9]/g, '').slice(0, 64)}`
}

/** The request id WeChat appends to every errmsg: three groups of 8 hex digits. */
export function newRid(): string {
  const hex = randomBytes(12).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16)}`
}

/**
 * A fresh jsapi_ticket shaped like WeChat's example: 86 characters of base64url.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62
 */
export function newTicket(): string {
  return randomBytes(64).toString('base64url')
}
