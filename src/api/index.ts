import axios, { AxiosError } from 'axios'
import type { ErrorBody, LoginErrorCode, LoginRequest, SessionUser, UserResponse } from '@/contract'

/** A failed sign-in step, with the contract's code; the UI turns the code into words. */
export class LoginFailure extends Error {
  readonly code: LoginErrorCode
  readonly status?: number

  constructor(code: LoginErrorCode, status?: number) {
    super(code)
    this.name = 'LoginFailure'
    this.code = code
    this.status = status
  }
}

export const http = axios.create({
  baseURL: '/api',
  // The function bounds its own WeChat calls well below this; this only catches a dead link.
  timeout: 20_000,
  headers: { 'Content-Type': 'application/json' },
})

function toFailure(error: unknown): LoginFailure {
  if (error instanceof AxiosError && error.response) {
    const body = error.response.data as Partial<ErrorBody> | undefined
    const code = body?.error?.code
    return new LoginFailure(code ?? 'internal', error.response.status)
  }
  return new LoginFailure('network_error')
}

async function request<T>(run: () => Promise<{ data: T }>): Promise<T> {
  try {
    return (await run()).data
  } catch (error) {
    throw toFailure(error)
  }
}

/** Step 3: the business request carrying the code. */
export async function postWechatLogin(body: LoginRequest): Promise<SessionUser> {
  return (await request(() => http.post<UserResponse>('/auth/wechat', body))).user
}

export async function getSession(): Promise<SessionUser> {
  return (await request(() => http.get<UserResponse>('/session'))).user
}

/** Re-reads the profile from WeChat with the grant the server keeps. */
export async function postSessionRefresh(): Promise<SessionUser> {
  return (await request(() => http.post<UserResponse>('/session/refresh'))).user
}

export async function deleteSession(): Promise<void> {
  await request(() => http.delete('/session'))
}
