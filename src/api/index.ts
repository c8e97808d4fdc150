import axios, { AxiosError } from 'axios'
import type { SessionUser, UserResponse } from '@contract'
import { failureOf, LoginFailure } from './failure'
import { REQUEST_TIMEOUT_MS } from './session'

/**
 * What the user asks for on the profile page (刷新资料, 退出登录). The store loads this
 * module when one of them is tapped, so no page waits for axios to show itself; the
 * page-load requests are in `./session`.
 */
export const http = axios.create({
  baseURL: '/api',
  timeout: REQUEST_TIMEOUT_MS,
  headers: { 'Content-Type': 'application/json' },
})

function toFailure(error: unknown): LoginFailure {
  if (error instanceof AxiosError && error.response) {
    return failureOf(error.response.status, error.response.data)
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

/** Re-reads the profile from WeChat with the grant the server keeps. */
export async function postSessionRefresh(): Promise<SessionUser> {
  return (await request(() => http.post<UserResponse>('/session/refresh'))).user
}

export async function deleteSession(): Promise<void> {
  await request(() => http.delete('/session'))
}
