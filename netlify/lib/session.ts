import { EncryptJWT, jwtDecrypt } from 'jose'
import type { SessionUser } from '../../src/contract.ts'

export const SESSION_COOKIE = 'wx_session'
/** A week: long enough that a returning user is not sent through WeChat again. */
export const SESSION_TTL_S = 7 * 24 * 3600

const keys = new Map<string, Promise<Uint8Array>>()

/** A 256-bit key derived from SESSION_SECRET, computed once per secret. */
function keyFor(secret: string): Promise<Uint8Array> {
  let key = keys.get(secret)
  if (!key) {
    key = crypto.subtle
      .digest('SHA-256', new TextEncoder().encode(secret))
      .then((digest) => new Uint8Array(digest))
    keys.set(secret, key)
  }
  return key
}

/** Encrypts and authenticates the session (JWE, dir + A256GCM), so the browser can neither read nor forge it. */
export async function sealSession(
  user: SessionUser,
  secret: string,
  nowS: number,
): Promise<string> {
  return new EncryptJWT({ user })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + SESSION_TTL_S)
    .encrypt(await keyFor(secret))
}

/** The session's user, or null when the token is absent, tampered with, foreign or expired. */
export async function openSession(
  token: string | undefined,
  secret: string,
  nowS: number,
): Promise<SessionUser | null> {
  if (!token) return null
  try {
    const { payload } = await jwtDecrypt(token, await keyFor(secret), {
      currentDate: new Date(nowS * 1000),
    })
    const user = payload.user as SessionUser | undefined
    return user && typeof user.openid === 'string' ? user : null
  } catch {
    return null
  }
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
