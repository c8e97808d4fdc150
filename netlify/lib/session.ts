import { randomBytes } from 'node:crypto'
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose'
import {
  COMPUTER_SESSION_MAX_AGE_S,
  type SessionDevice,
  type SessionUser,
} from '../../contract/index.ts'
import type { SessionSecrets } from './config.ts'
import { JWE_ALGORITHMS, JWE_HEADER, openWithAny, sealingKey } from './keys.ts'

/**
 * The cookie's name on https: a browser keeps a `__Host-` cookie only when it is Secure, has
 * Path=/ and no Domain, so a sibling subdomain cannot set one that shadows ours.
 */
export const HOST_SESSION_COOKIE = '__Host-wx_session'
/** The name on http://localhost (`netlify dev`), where a Secure cookie would be refused. */
export const LOCAL_SESSION_COOKIE = 'wx_session'
/** A week without a visit ends the session; each visit renews it (see `shouldRotate`). */
export const SESSION_TTL_S = 7 * 24 * 3600
/** However active, a session ends 30 days after sign-in, with WeChat's refresh_token. */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600
/** A session is re-issued at most hourly, so a busy user does not get a cookie per request. */
export const ROTATE_AFTER_S = 3600

/** What a session cookie says, and keeps across rotations but for the user's profile. */
export interface SessionClaims {
  user: SessionUser
  /** This session's random id: what sign-out revokes (see revocations.ts). */
  sid: string
  /** When the user signed in through WeChat, or confirmed a computer's (epoch seconds). */
  authTime: number
  /** `computer` for a session made by scanning with the phone; absent for the phone's own. */
  device?: SessionDevice
}

export interface Session extends SessionClaims {
  /** When this cookie was issued (epoch seconds). */
  issuedAt: number
  /** Sealed under a previous secret: re-issued under the current one at once. */
  sealedWithPrevious: boolean
}

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

/** A fresh session id: 128 random bits, base64url. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url')
}

/** How long after sign-in a session of this kind ends, however active. */
export function sessionMaxAge(device: SessionDevice | undefined): number {
  return device === 'computer' ? COMPUTER_SESSION_MAX_AGE_S : SESSION_MAX_AGE_S
}

/**
 * Encrypts and authenticates the session (JWE, dir + A256GCM) under the current secret, so
 * the browser can neither read nor forge it. `sid`, `authTime` and `device` carry the sign-in
 * across rotations.
 */
export async function sealSession(
  { user, sid, authTime, device }: SessionClaims,
  secrets: SessionSecrets,
  nowS: number,
): Promise<string> {
  return new EncryptJWT({
    user,
    sid,
    auth_time: authTime,
    // A phone's session says nothing: cookies from before computers existed read the same.
    ...(device === 'computer' && { device }),
  })
    .setProtectedHeader(JWE_HEADER)
    .setIssuedAt(nowS)
    .setExpirationTime(Math.min(nowS + SESSION_TTL_S, authTime + sessionMaxAge(device)))
    .encrypt(await sealingKey(secrets, 'session'))
}

/**
 * The session, or null when the token is absent, tampered with, foreign, expired, or says
 * something impossible. It opens under the current secret or any previous one.
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
    sid,
    auth_time: authTime,
    device,
    iat,
  } = opened.value as JWTPayload & {
    user?: SessionUser
    sid?: unknown
    auth_time?: unknown
    device?: unknown
  }
  if (!user || typeof user.openid !== 'string') return null
  if (typeof sid !== 'string' || !SESSION_ID.test(sid)) return null
  if (typeof authTime !== 'number' || typeof iat !== 'number') return null
  if (device !== undefined && device !== 'computer') return null
  // A sign-in after the cookie was issued, or yet to come, is no sign-in of ours.
  if (authTime > iat || authTime > nowS || nowS - authTime > sessionMaxAge(device)) return null
  return {
    user,
    sid,
    authTime,
    ...(device && { device }),
    issuedAt: iat,
    sealedWithPrevious: opened.previous,
  }
}

/** Whether to re-issue the cookie: hourly, and at once when an earlier secret sealed it. */
export function shouldRotate(session: Session, nowS: number): boolean {
  return session.sealedWithPrevious || nowS - session.issuedAt >= ROTATE_AFTER_S
}

function isLocalHost(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]'
}

/** Browsers refuse Secure cookies over plain http, which `netlify dev` serves on localhost. */
export function isPlainLocal(url: URL): boolean {
  return isLocalHost(url) && url.protocol === 'http:'
}

/** The one cookie name a request to `requestUrl` is read and answered under. */
export function sessionCookieName(requestUrl: URL): string {
  return isPlainLocal(requestUrl) ? LOCAL_SESSION_COOKIE : HOST_SESSION_COOKIE
}

function setCookie(requestUrl: URL, value: string, maxAge: number): string {
  const secure = isPlainLocal(requestUrl) ? '' : '; Secure'
  return `${sessionCookieName(requestUrl)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`
}

export function sessionCookie(value: string, requestUrl: URL): string {
  return setCookie(requestUrl, value, SESSION_TTL_S)
}

export function clearedSessionCookie(requestUrl: URL): string {
  return setCookie(requestUrl, '', 0)
}

export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The request's session cookie, under the name that fits its scheme and no other. */
export function readSessionCookie(request: Request): string | undefined {
  return readCookie(request.headers.get('cookie'), sessionCookieName(new URL(request.url)))
}
