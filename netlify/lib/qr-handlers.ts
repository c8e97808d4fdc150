import {
  QR_LOGIN_PATH_PREFIX,
  QR_LOGIN_TTL_S,
  type ComputersResponse,
  type QrLoginCreated,
  type QrLoginDecision,
  type QrLoginPoll,
  type QrLoginRequester,
  type QrLoginScan,
} from '../../contract/index.ts'
import { isComputerOf, listComputers, recordComputer } from './computers.ts'
import { loadSessionSecrets } from './config.ts'
import { defineHandler, liveSession, withSession, type Frame } from './handlers.ts'
import { ApiError, json, noContent } from './http.ts'
import {
  bindingCookie,
  collectQrLogin,
  createQrLogin,
  decideQrLogin,
  expiresAtMs,
  hashBinding,
  isBoundTo,
  isQrLoginId,
  newBinding,
  qrStatus,
  readBinding,
  readQrLogin,
  scanQrLogin,
} from './qr-login.ts'
import { revokeSession } from './revocations.ts'
import { newSessionId, type SessionClaims } from './session.ts'
import { browserOf, systemOf } from './user-agent.ts'

/**
 * Signing a computer in through the phone (wechat-behaviour.md §9): the computer asks and
 * polls, the phone scans and decides, and the phone lists and ends the computers so signed in.
 */


/** `/api/qr-login/{id}[/{action}]` → its segments; never logged, never put in a message. */
function qrPath(url: URL): { id?: string; action?: string } {
  const [id, action] = url.pathname.slice('/api/qr-login/'.length).split('/')
  return { id, action }
}

/** A User-Agent is read for names, not kept: a few hundred characters say them all. */
const MAX_USER_AGENT = 512

const secondsLeft = (untilMs: number, nowMs: number) =>
  Math.max(0, Math.ceil((untilMs - nowMs) / 1000))

/**
 * `POST /api/qr-login` → 201 a new request, and the cookie binding it to this browser. A
 * browser that has a binding keeps it, so each of its tabs can wait for its own request.
 */
export const handleQrLoginCreate = defineHandler(['POST'], async (request, frame) => {
  const binding = readBinding(request) ?? newBinding()
  const userAgent = (request.headers.get('user-agent') ?? '').slice(0, MAX_USER_AGENT)
  const requester: QrLoginRequester = {
    browser: browserOf(userAgent),
    os: systemOf(userAgent),
    ip: frame.env.clientIp ?? '',
    requestedAt: new Date(frame.nowMs).toISOString(),
  }
  const { id, expiresAtMs } = await createQrLogin(frame.stores('qr-logins'), {
    bindingHash: hashBinding(binding),
    requester,
    nowMs: frame.nowMs,
  })
  const body: QrLoginCreated = {
    id,
    url: `${frame.url.origin}${QR_LOGIN_PATH_PREFIX}${id}`,
    expiresAt: new Date(expiresAtMs).toISOString(),
    expiresIn: QR_LOGIN_TTL_S,
  }
  return json(body, 201, { 'Set-Cookie': bindingCookie(binding, frame.url) })
})

/** Unknown, malformed, or not this browser's: one answer, so a poll reveals nothing. */
const noSuchRequest = () => new ApiError('not_found', 'no such qr login request')

/**
 * `GET /api/qr-login/{id}` with the binding cookie → the request's status. The first poll
 * that sees it confirmed collects it: the computer's own session (its own sid, device
 * `computer`) and the user; every later poll answers `expired`.
 */
export const handleQrLoginPoll = defineHandler(['GET'], async (request, frame) => {
  const { id, action } = qrPath(frame.url)
  const binding = readBinding(request)
  const store = frame.stores('qr-logins')
  const login =
    isQrLoginId(id) && action === undefined && binding ? await readQrLogin(store, id) : null
  if (!login || !isBoundTo(login, binding)) throw noSuchRequest()
  const status = qrStatus(login, frame.nowMs)
  const user = login.decision?.user
  if (status !== 'confirmed' || !user) return json({ status } satisfies QrLoginPoll)
  // Before the request is used up: a missing secret must not cost the user their confirmation.
  const secrets = loadSessionSecrets(frame.env.env)
  const claims: SessionClaims = {
    user,
    sid: newSessionId(),
    authTime: frame.nowS,
    device: 'computer',
  }
  if (!(await collectQrLogin(store, login.id, claims.sid, frame.nowMs))) {
    return json({ status: 'expired' } satisfies QrLoginPoll)
  }
  // Awaited: a computer the phone cannot list is one it cannot sign out.
  await recordComputer(
    frame.stores('computers'),
    user.openid,
    claims.sid,
    login.request.requester,
    frame.nowS,
  )
  return withSession(claims, secrets, frame, { status: 'confirmed', user } satisfies QrLoginPoll)
})

/**
 * The phone's session, live. A computer's session is refused as not signed in: a computer
 * must not sign other computers in, and the scan page then sends the user to sign in on a phone.
 */
async function phoneSession(request: Request, frame: Frame) {
  const session = await liveSession(request, loadSessionSecrets(frame.env.env), frame)
  if (session.device === 'computer') {
    throw new ApiError('not_signed_in', 'sign in on the phone to scan a qr login request')
  }
  return session
}

/**
 * `POST /api/qr-login/{id}/scan` → what asks (QrLoginScan); `/confirm` and `/cancel` → the
 * decision; each by the phone's live session. Any other action is no endpoint (404).
 */
export const handleQrLoginAction = defineHandler(['POST'], async (request, frame) => {
  const { id = '', action } = qrPath(frame.url)
  if (action !== 'scan' && action !== 'confirm' && action !== 'cancel') {
    throw new ApiError('not_found', 'no such api endpoint')
  }
  const { user } = await phoneSession(request, frame)
  const store = frame.stores('qr-logins')
  if (action !== 'scan') {
    const kind = action === 'confirm' ? 'confirm' : 'cancel'
    const status = await decideQrLogin(store, id, { kind, user }, frame.nowMs)
    return json({ status } satisfies QrLoginDecision)
  }
  const login = await scanQrLogin(store, id, user.openid, frame.nowMs)
  const { requester } = login.request
  const phoneIp = frame.env.clientIp ?? ''
  const expiry = expiresAtMs(login)
  return json({
    status: qrStatus(login, frame.nowMs),
    requester,
    phoneIp,
    sameNetwork: requester.ip !== '' && requester.ip === phoneIp,
    expiresAt: login.request.expiresAt,
    expiresIn: secondsLeft(expiry, frame.nowMs),
  } satisfies QrLoginScan)
})

/**
 * `GET /api/computers` → the user's computers still signed in, newest first;
 * `DELETE /api/computers/{id}` (退出该设备) → 204, that computer's session ended, or 404
 * `not_found` when this user signed in no such computer. Any live session of the user may
 * ask: a computer sees and ends no more than 退出所有设备 already lets it.
 */
export const handleComputers = defineHandler(['GET', 'DELETE'], async (request, frame) => {
  const rest = frame.url.pathname.slice('/api/computers'.length)
  const id = rest === '' ? undefined : rest.slice(1)
  if ((id === undefined) !== (request.method === 'GET')) {
    throw new ApiError('method_not_allowed', `method ${request.method} is not allowed`)
  }
  const session = await liveSession(request, loadSessionSecrets(frame.env.env), frame)
  const { openid } = session.user
  const sessions = frame.stores('sessions')
  if (id === undefined) {
    const computers = await listComputers(
      frame.stores('computers'),
      sessions,
      openid,
      frame.nowMs,
    )
    return json({ computers } satisfies ComputersResponse)
  }
  if (!(await isComputerOf(frame.stores('computers'), openid, id))) {
    throw new ApiError('not_found', 'no such computer')
  }
  await revokeSession(sessions, openid, id, frame.nowS)
  return noContent()
})
