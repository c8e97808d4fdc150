import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose'
import type { SessionUser } from '../../contract/index.ts'
import type { SessionSecrets } from './config.ts'
import { JWE_ALGORITHMS, JWE_HEADER, openWithAny, sealingKey } from './keys.ts'

export const SESSION_COOKIE = 'wx_session'
/** A week without a visit ends the session; each visit renews it (see `shouldRotate`). */
export const SESSION_TTL_S = 7 * 24 * 3600
/** However active, a session ends 30 days after sign-in, with WeChat's refresh_token. */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600
/** A session is re-issued at most hourly, so a busy user does not get a cookie per request. */
export const ROTATE_AFTER_S = 3600

export interface Session {
  user: SessionUser
  /** When the user signed in through WeChat (epoch seconds). */
  authTime: number
  /** When this cookie was issued (epoch seconds). */
  issuedAt: number
  /** Sealed under a previous secret: re-issued under the current one at once. */
  sealedWithPrevious: boolean
}

/**
 * Encrypts and authenticates the session (JWE, dir + A256GCM) under the current secret, so
 * the browser can neither read nor forge it. `authTime` carries the original sign-in across
 * rotations.
 */
export async function sealSession(
  user: SessionUser,
  secrets: SessionSecrets,
  nowS: number,
  authTime = nowS,
): Promise<string> {
  return new EncryptJWT({ user, auth_time: authTime })
    .setProtectedHeader(JWE_HEADER)
    .setIssuedAt(nowS)
    .setExpirationTime(Math.min(nowS + SESSION_TTL_S, authTime + SESSION_MAX_AGE_S))
    .encrypt(await sealingKey(secrets, 'session'))
}

/**
 * The session, or null when the token is absent, tampered with, foreign or expired. It opens
 * under the current secret or any previous one.
 */
export async function openSession(
  token: string | undefined,
  secrets: SessionSecrets,
  nowS: number,
): Promise<Session | null> {
  if (!token) return null
  const opened = await openWithAny(secrets, 'session', async (key) => {
    const { payload } = await jwtDecrypt(token, key, {
      ...JWE_ALGORITHMS,
      currentDate: new Date(nowS * 1000),
      // Without exp a stolen cookie would never expire.
      requiredClaims: ['exp', 'iat'],
    })
    return payload
  })
  if (!opened) return null
  const {
    user,
    auth_time: authTime,
    iat,
  } = opened.value as JWTPayload & {
    user?: SessionUser
    auth_time?: unknown
  }
  if (!user || typeof user.openid !== 'string' || typeof authTime !== 'number') return null
  if (nowS - authTime > SESSION_MAX_AGE_S) return null
  return { user, authTime, issuedAt: iat!, sealedWithPrevious: opened.previous }
}

/** Whether to re-issue the cookie: hourly, and at once when an earlier secret sealed it. */
export function shouldRotate(session: Session, nowS: number): boolean {
  return session.sealedWithPrevious || nowS - session.issuedAt >= ROTATE_AFTER_S
}

function isLocalHost(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]'
}

function attributes(requestUrl: URL, maxAge: number): string {
  // Browsers refuse Secure cookies over plain http, which `netlify dev` serves on localhost.
  const secure = isLocalHost(requestUrl) && requestUrl.protocol === 'http:' ? '' : '; Secure'
  return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`
}

export function sessionCookie(value: string, requestUrl: URL): string {
  return `${SESSION_COOKIE}=${value}; ${attributes(requestUrl, SESSION_TTL_S)}`
}

export function clearedSessionCookie(requestUrl: URL): string {
  return `${SESSION_COOKIE}=; ${attributes(requestUrl, 0)}`
}

export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
