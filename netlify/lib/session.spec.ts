import { EncryptJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { COMPUTER_SESSION_MAX_AGE_S, type SessionUser } from '../../contract/index.ts'
import { deriveKey } from './keys.ts'
import {
  clearedSessionCookie,
  newSessionId,
  openSession,
  readCookie,
  readSessionCookie,
  sealSession,
  sessionCookie,
  shouldRotate,
  ROTATE_AFTER_S,
  SESSION_MAX_AGE_S,
  sessionMaxAge,
  SESSION_TTL_S,
} from './session.ts'
import { testUser } from '../test-support/users.ts'

const SECRET = 'a-session-secret-of-at-least-32-bytes!!'
const SECRETS = { current: SECRET, previous: [] }
const USER: SessionUser = testUser({
  openid: 'oAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  scope: 'snsapi_userinfo',
  nickname: '小明🌸',
})
const NOW = 1_800_000_000
const JWE = { alg: 'dir', enc: 'A256GCM' }
const SID = 'AAAAAAAAAAAAAAAAAAAAAA'
/** The claims of a sign-in at `authTime`. */
const signedIn = (authTime = NOW) => ({ user: USER, sid: SID, authTime })

describe('sealSession / openSession', () => {
  it('round-trips the user and the session id', async () => {
    expect(
      await openSession(await sealSession(signedIn(), SECRETS, NOW), SECRETS, NOW + 60),
    ).toEqual({ user: USER, sid: SID, authTime: NOW, issuedAt: NOW, sealedWithPrevious: false })
  })

  it('gives each session its own random id', () => {
    const ids = new Set(Array.from({ length: 100 }, newSessionId))
    expect(ids.size).toBe(100)
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  it('rotates hourly and keeps the sign-in time across rotations', async () => {
    const first = await openSession(await sealSession(signedIn(), SECRETS, NOW), SECRETS, NOW + 60)
    expect(first && shouldRotate(first, NOW + 60)).toBe(false)
    expect(first && shouldRotate(first, NOW + ROTATE_AFTER_S)).toBe(true)
    const later = NOW + 6 * 24 * 3600
    const rotated = await sealSession(signedIn(), SECRETS, later)
    expect(await openSession(rotated, SECRETS, later + 6 * 24 * 3600)).toMatchObject({
      sid: SID,
      authTime: NOW,
      issuedAt: later,
    })
  })

  it('ends a session 30 days after sign-in however often it is rotated', async () => {
    const late = NOW + SESSION_MAX_AGE_S - 10
    const rotated = await sealSession(signedIn(), SECRETS, late)
    expect(await openSession(rotated, SECRETS, late + 5)).not.toBeNull()
    expect(await openSession(rotated, SECRETS, NOW + SESSION_MAX_AGE_S + 1)).toBeNull()
  })

  it("keeps a computer's device across rotations, and ends it 7 days after sign-in", async () => {
    const computer = { ...signedIn(), device: 'computer' as const }
    expect(await openSession(await sealSession(computer, SECRETS, NOW), SECRETS, NOW)).toEqual({
      ...computer,
      issuedAt: NOW,
      sealedWithPrevious: false,
    })
    expect([sessionMaxAge('computer'), sessionMaxAge(undefined)]).toEqual([
      COMPUTER_SESSION_MAX_AGE_S,
      SESSION_MAX_AGE_S,
    ])
    const late = NOW + COMPUTER_SESSION_MAX_AGE_S - 10
    const rotated = await sealSession(computer, SECRETS, late)
    expect(await openSession(rotated, SECRETS, late + 5)).toMatchObject({ device: 'computer' })
    // The seal's exp stops at authTime + 7 days, however recently it was rotated.
    expect(await openSession(rotated, SECRETS, NOW + COMPUTER_SESSION_MAX_AGE_S + 1)).toBeNull()
    const phone = await sealSession(signedIn(), SECRETS, late)
    expect(await openSession(phone, SECRETS, NOW + COMPUTER_SESSION_MAX_AGE_S + 1)).toMatchObject({
      authTime: NOW,
    })
  })

  it('opens under a previous secret, marked for re-issue under the current one', async () => {
    const next = 'the-next-session-secret-of-32-bytes!!'
    const old = await sealSession(signedIn(), SECRETS, NOW)
    const rotated = { current: next, previous: [SECRET] }
    const opened = await openSession(old, rotated, NOW + 60)
    expect(opened).toEqual({ ...signedIn(), issuedAt: NOW, sealedWithPrevious: true })
    expect(opened && shouldRotate(opened, NOW + 60)).toBe(true)
    const reissued = await sealSession(signedIn(), rotated, NOW + 60)
    expect(await openSession(reissued, { current: next, previous: [] }, NOW + 60)).toMatchObject({
      sealedWithPrevious: false,
    })
    expect(await openSession(reissued, SECRETS, NOW + 60)).toBeNull()
    expect(await openSession(old, { current: next, previous: [] }, NOW + 60)).toBeNull()
  })

  it('does not reveal the user in the token', async () => {
    const token = await sealSession(signedIn(), SECRETS, NOW)
    const decoded = token
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('utf8'))
      .join('')
    expect(decoded).not.toContain(USER.openid)
    expect(decoded).not.toContain(SID)
  })

  it('rejects another secret, a tampered token and an expired one', async () => {
    const token = await sealSession(signedIn(), SECRETS, NOW)
    expect(await openSession(token, { current: `${SECRET}x`, previous: [] }, NOW)).toBeNull()
    // A character of the tag that carries only tag bits (the last one also carries padding
    // bits), replaced by a different one: the token is random, so this must not depend on it.
    const at = token.length - 3
    const flipped = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
    expect(flipped).not.toBe(token)
    expect(await openSession(flipped, SECRETS, NOW)).toBeNull()
    expect(await openSession(token, SECRETS, NOW + SESSION_TTL_S + 1)).toBeNull()
    expect(await openSession('garbage', SECRETS, NOW)).toBeNull()
    expect(await openSession(undefined, SECRETS, NOW)).toBeNull()
  })
})

describe('openSession refuses', () => {
  const claims = { user: USER, sid: SID, auth_time: NOW }
  const sealWith = async (
    header: { alg: string; enc: string },
    build: (jwt: EncryptJWT) => EncryptJWT = (jwt) =>
      jwt.setIssuedAt(NOW).setExpirationTime(NOW + 60),
    payload: Record<string, unknown> = claims,
  ) =>
    build(new EncryptJWT(payload).setProtectedHeader(header)).encrypt(
      await deriveKey(SECRET, 'session'),
    )
  const sealClaims = (payload: Record<string, unknown>, iat = NOW) =>
    sealWith(JWE, (jwt) => jwt.setIssuedAt(iat).setExpirationTime(NOW + 60), payload)

  it('a token sealed with the same key under another algorithm', async () => {
    const control = await sealWith(JWE)
    expect(await openSession(control, SECRETS, NOW)).toMatchObject({ authTime: NOW })
    for (const enc of ['A256GCM', 'A128CBC-HS256']) {
      const wrapped = await sealWith({ alg: 'A256GCMKW', enc })
      expect(await openSession(wrapped, SECRETS, NOW)).toBeNull()
    }
  })

  it('an unknown device, and a computer session older than 7 days whatever its exp', async () => {
    const device = (value: unknown) => sealClaims({ ...claims, device: value })
    expect(await openSession(await device('computer'), SECRETS, NOW)).toMatchObject({
      device: 'computer',
    })
    for (const value of ['phone', 'tablet', 1, null]) {
      expect(await openSession(await device(value), SECRETS, NOW)).toBeNull()
    }
    const old = NOW - COMPUTER_SESSION_MAX_AGE_S - 1
    const stale = await sealWith(JWE, (jwt) => jwt.setIssuedAt(NOW).setExpirationTime(NOW + 60), {
      ...claims,
      auth_time: old,
      device: 'computer',
    })
    expect(await openSession(stale, SECRETS, NOW)).toBeNull()
  })

  it('a token without exp or without iat', async () => {
    expect(
      await openSession(await sealWith(JWE, (jwt) => jwt.setIssuedAt(NOW)), SECRETS, NOW),
    ).toBeNull()
    expect(
      await openSession(
        await sealWith(JWE, (jwt) => jwt.setExpirationTime(NOW + 60)),
        SECRETS,
        NOW,
      ),
    ).toBeNull()
  })

  it('a token without a well-formed session id', async () => {
    expect(await openSession(await sealClaims(claims), SECRETS, NOW)).toMatchObject({ sid: SID })
    for (const sid of [undefined, '', 'short', 123, `${SID}A`, 'A'.repeat(21) + '.']) {
      expect(await openSession(await sealClaims({ ...claims, sid }), SECRETS, NOW)).toBeNull()
    }
  })

  it('an impossible auth_time: missing, in the future, or after the cookie was issued', async () => {
    expect(await openSession(await sealClaims(claims, NOW + 10), SECRETS, NOW + 10)).toMatchObject({
      authTime: NOW,
      issuedAt: NOW + 10,
    })
    const { auth_time: _drop, ...withoutAuthTime } = claims
    expect(await openSession(await sealClaims(withoutAuthTime), SECRETS, NOW)).toBeNull()
    expect(await openSession(await sealClaims({ ...claims, auth_time: '0' }), SECRETS, NOW)).toBe(
      null,
    )
    // Issued now, for a sign-in a minute from now.
    const future = await sealClaims({ ...claims, auth_time: NOW + 60 }, NOW + 60)
    expect(await openSession(future, SECRETS, NOW)).toBeNull()
    // Issued before the sign-in it names.
    const before = await sealClaims({ ...claims, auth_time: NOW + 1 }, NOW)
    expect(await openSession(before, SECRETS, NOW + 5)).toBeNull()
  })
})

describe('cookies', () => {
  it('is __Host-, HttpOnly, SameSite=Lax and Secure on https, with Path=/ and no Domain', () => {
    expect(sessionCookie('v', new URL('https://app.example.com/api/auth/wechat'))).toBe(
      `__Host-wx_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_S}; Secure`,
    )
  })

  it('is plain wx_session without Secure on http://localhost, where browsers would refuse it', () => {
    expect(sessionCookie('v', new URL('http://localhost:8888/api/auth/wechat'))).toBe(
      `wx_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_S}`,
    )
    expect(clearedSessionCookie(new URL('http://127.0.0.1:8888/'))).toBe(
      'wx_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    )
  })

  it('clears with Max-Age=0', () => {
    expect(clearedSessionCookie(new URL('https://app.example.com/'))).toBe(
      '__Host-wx_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    )
  })

  it('is read only under the name that fits the scheme', () => {
    const both = { cookie: 'wx_session=sibling; __Host-wx_session=ours' }
    const read = (url: string, headers: Record<string, string>) =>
      readSessionCookie(new Request(url, { headers }))
    expect(read('https://app.example.com/api/session', both)).toBe('ours')
    // A sibling subdomain can set wx_session for the parent domain; it is never read on https.
    expect(read('https://app.example.com/api/session', { cookie: 'wx_session=sibling' })).toBe(
      undefined,
    )
    expect(read('http://localhost:8888/api/session', both)).toBe('sibling')
  })

  it('reads one cookie among several', () => {
    expect(readCookie('a=1; wx_session=tok.en=; b=2', 'wx_session')).toBe('tok.en=')
    expect(readCookie('a=1', 'wx_session')).toBeUndefined()
    expect(readCookie(null, 'wx_session')).toBeUndefined()
  })
})
