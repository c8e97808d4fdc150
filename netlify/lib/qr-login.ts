import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Store } from '@netlify/blobs'
import {
  QR_LOGIN_ID_PATTERN,
  QR_LOGIN_TTL_S,
  type QrLoginRequester,
  type QrLoginStatus,
  type SessionUser,
} from '../../contract/index.ts'
import { ApiError } from './http.ts'
import { isPlainLocal, readCookie } from './session.ts'

/**
 * Requests to sign a computer in through the phone (wechat-behaviour.md §9), in the
 * `qr-logins` store. Each state change is a blob of its own, written once (`onlyIfNew`), so
 * that of two instances racing for the same change the first write wins and the other sees
 * `modified: false`; nothing relies on ETags, which the local Blobs server does not answer:
 *
 * - `${id}/request`: who asked (the binding's hash, the requester), when, until when;
 * - `${id}/scan`: the one user who scanned it;
 * - `${id}/decision`: confirm or cancel, one key for both so that they race on one blob;
 * - `${id}/collect`: the one poll that received the computer's session.
 */
export interface QrRequest {
  /** base64url SHA-256 of the binding cookie's value; the value itself is never stored. */
  bindingHash: string
  requester: QrLoginRequester
  createdAt: string
  expiresAt: string
}

export interface QrScan {
  openid: string
  at: string
}

export interface QrDecision {
  kind: 'confirm' | 'cancel'
  /** The profile the computer's session will hold: the confirming phone's. */
  user?: SessionUser
  at: string
}

export interface QrCollect {
  at: string
  /** The computer's session id. */
  sid: string
}

export interface QrLogin {
  id: string
  request: QrRequest
  scan: QrScan | null
  decision: QrDecision | null
  collect: QrCollect | null
}

/**
 * A confirmed request stays collectable this long after it expires, so that a confirmation in
 * the last seconds still reaches a computer polling every few seconds.
 */
export const COLLECT_GRACE_MS = 60_000

/** The binding cookie outlives the request a little, so the last polls still carry it. */
export const BINDING_MAX_AGE_S = QR_LOGIN_TTL_S + 60

/** On https a `__Host-` cookie, as the session's (see session.ts). */
export const HOST_BINDING_COOKIE = '__Host-wx_qr'
export const LOCAL_BINDING_COOKIE = 'wx_qr'

const BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/

export function bindingCookieName(requestUrl: URL): string {
  return isPlainLocal(requestUrl) ? LOCAL_BINDING_COOKIE : HOST_BINDING_COOKIE
}

/** The request's binding value when it carries a well-formed one. */
export function readBinding(request: Request): string | undefined {
  const value = readCookie(request.headers.get('cookie'), bindingCookieName(new URL(request.url)))
  return value && BINDING_PATTERN.test(value) ? value : undefined
}

/** A fresh binding value: 256 random bits, base64url. */
export function newBinding(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The cookie that binds requests to this browser. SameSite=Strict: only this site's own
 * pages ever send it, and only the computer's poll needs it.
 */
export function bindingCookie(value: string, requestUrl: URL): string {
  const secure = isPlainLocal(requestUrl) ? '' : '; Secure'
  return `${bindingCookieName(requestUrl)}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${BINDING_MAX_AGE_S}${secure}`
}

export function hashBinding(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** Whether `value` is the binding the request was made with, compared in constant time. */
export function isBoundTo(login: QrLogin, value: string | undefined): boolean {
  if (!value) return false
  const given = Buffer.from(hashBinding(value))
  const kept = Buffer.from(login.request.bindingHash)
  return given.length === kept.length && timingSafeEqual(given, kept)
}

export function isQrLoginId(id: string | undefined): id is string {
  return id !== undefined && QR_LOGIN_ID_PATTERN.test(id)
}

/** Starts a request for the browser holding the binding; expires QR_LOGIN_TTL_S from now. */
export async function createQrLogin(
  store: Store,
  {
    bindingHash,
    requester,
    nowMs,
  }: { bindingHash: string; requester: QrLoginRequester; nowMs: number },
): Promise<{ id: string; expiresAtMs: number }> {
  const id = randomBytes(16).toString('base64url')
  const expiresAtMs = nowMs + QR_LOGIN_TTL_S * 1000
  const request: QrRequest = {
    bindingHash,
    requester,
    createdAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(expiresAtMs).toISOString(),
  }
  const { modified } = await store.setJSON(`${id}/request`, request, { onlyIfNew: true })
  // 128 random bits do not collide; a refusal means a resent write of this very blob.
  if (!modified) throw new Error('a new qr login request was there already')
  return { id, expiresAtMs }
}

const PARTS = ['request', 'scan', 'decision', 'collect'] as const

/** The request folded from its blobs (one strongly consistent list, then reads), or null. */
export async function readQrLogin(store: Store, id: string): Promise<QrLogin | null> {
  const { blobs } = await store.list({ prefix: `${id}/` })
  const present = new Set(blobs.map(({ key }) => key.slice(id.length + 1)))
  if (!present.has('request')) return null
  const [request, scan, decision, collect] = await Promise.all(
    PARTS.map((part) =>
      present.has(part) ? store.get(`${id}/${part}`, { type: 'json' }) : Promise.resolve(null),
    ),
  )
  if (!request) return null
  return {
    id,
    request: request as QrRequest,
    scan: scan as QrScan | null,
    decision: decision as QrDecision | null,
    collect: collect as QrCollect | null,
  }
}

export function expiresAtMs(login: QrLogin): number {
  return Date.parse(login.request.expiresAt)
}

/**
 * What the computer is told. A used request, or one not decided in time, is `expired`; a
 * confirmed one stays `confirmed` until collected or COLLECT_GRACE_MS past its expiry.
 */
export function qrStatus(login: QrLogin, nowMs: number): QrLoginStatus {
  if (login.collect) return 'expired'
  const expiry = expiresAtMs(login)
  if (login.decision?.kind === 'cancel') return 'cancelled'
  if (login.decision?.kind === 'confirm') {
    return nowMs <= expiry + COLLECT_GRACE_MS ? 'confirmed' : 'expired'
  }
  if (nowMs > expiry) return 'expired'
  return login.scan ? 'scanned' : 'waiting'
}

const expired = () => new ApiError('qr_expired', 'the qr login request expired or was used')
const taken = (why: string) => new ApiError('qr_taken', why)

/** The request as the phone may act on it: still open, and not scanned by someone else. */
async function openFor(store: Store, id: string, openid: string, nowMs: number) {
  const login = isQrLoginId(id) ? await readQrLogin(store, id) : null
  if (!login) throw expired()
  const status = qrStatus(login, nowMs)
  if (status === 'confirmed') throw taken('the qr login request was already decided')
  if (status !== 'waiting' && status !== 'scanned') throw expired()
  if (login.scan && login.scan.openid !== openid) {
    throw taken('the qr login request was scanned by someone else')
  }
  return login
}

/**
 * The phone's user scans the request: the first scanner holds it; scanning it again (a
 * reload) is fine, anyone else is refused.
 */
export async function scanQrLogin(
  store: Store,
  id: string,
  openid: string,
  nowMs: number,
): Promise<QrLogin> {
  const login = await openFor(store, id, openid, nowMs)
  if (login.scan) return login
  const scan: QrScan = { openid, at: new Date(nowMs).toISOString() }
  const { modified } = await store.setJSON(`${id}/scan`, scan, { onlyIfNew: true })
  if (modified) return { ...login, scan }
  const first = (await store.get(`${id}/scan`, { type: 'json' })) as QrScan | null
  if (first?.openid !== openid) throw taken('the qr login request was scanned by someone else')
  return { ...login, scan: first }
}

/**
 * The scanner confirms (the computer gets `user`'s session) or cancels. One decision per
 * request: whoever writes it first wins, any later one is refused with qr_taken.
 */
export async function decideQrLogin(
  store: Store,
  id: string,
  { kind, user }: { kind: QrDecision['kind']; user: SessionUser },
  nowMs: number,
): Promise<QrLoginStatus> {
  const login = await openFor(store, id, user.openid, nowMs)
  if (!login.scan) throw taken('the qr login request was not scanned by this user')
  const decision: QrDecision = {
    kind,
    ...(kind === 'confirm' && { user }),
    at: new Date(nowMs).toISOString(),
  }
  const { modified } = await store.setJSON(`${id}/decision`, decision, { onlyIfNew: true })
  if (!modified) throw taken('the qr login request was already decided')
  return kind === 'confirm' ? 'confirmed' : 'cancelled'
}

/** Marks a confirmed request used by the session `sid`: true for the one poll that wins. */
export async function collectQrLogin(
  store: Store,
  id: string,
  sid: string,
  nowMs: number,
): Promise<boolean> {
  const collect: QrCollect = { at: new Date(nowMs).toISOString(), sid }
  const { modified } = await store.setJSON(`${id}/collect`, collect, { onlyIfNew: true })
  return modified
}
