import type {
  ComputersResponse,
  QrLoginCreated,
  QrLoginDecision,
  QrLoginPoll,
  QrLoginScan,
  SignedInComputer,
} from '@contract'
import { http, request } from './index'

/**
 * Signing a computer in through the phone, apart from `./index` because only the QR pages and
 * the profile's list of computers use it: it travels in their chunks, not the entry.
 */

/** The computer: a new request, bound to this browser by an HttpOnly cookie. */
export function postQrLogin(): Promise<QrLoginCreated> {
  return request(() => http.post<QrLoginCreated>('/qr-login'))
}

/** The computer: where its request stands; `user` once, when a confirmed sign-in is collected. */
export function getQrLogin(id: string): Promise<QrLoginPoll> {
  return request(() => http.get<QrLoginPoll>(`/qr-login/${encodeURIComponent(id)}`))
}

/** The phone: it opened the code; answers what is asking. */
export function postQrLoginScan(id: string): Promise<QrLoginScan> {
  return request(() => http.post<QrLoginScan>(`/qr-login/${encodeURIComponent(id)}/scan`))
}

/** The phone: its person's answer. */
export function postQrLoginDecision(
  id: string,
  decision: 'confirm' | 'cancel',
): Promise<QrLoginDecision> {
  return request(() =>
    http.post<QrLoginDecision>(`/qr-login/${encodeURIComponent(id)}/${decision}`),
  )
}

/** The phone: the computers signed in through it that are still signed in. */
export async function getComputers(): Promise<SignedInComputer[]> {
  const body = await request(() => http.get<ComputersResponse>('/computers'))
  return body?.computers ?? []
}

/** 退出该设备 */
export async function deleteComputer(id: string): Promise<void> {
  await request(() => http.delete(`/computers/${encodeURIComponent(id)}`))
}
