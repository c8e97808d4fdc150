import axios, { AxiosError } from 'axios'
import type {
  JssdkConfigRequest,
  JssdkConfigResponse,
  LoginRequest,
  SessionUser,
  UserResponse,
} from '@contract'
import { failureOf, LoginFailure } from './failure'

/**
 * The API, one function per endpoint. Failures reject with a LoginFailure carrying the
 * contract's error code; a request that never got an answer is `network_error`.
 */
export const http = axios.create({
  baseURL: '/api',
  // The functions bound their own WeChat calls well below this; it only catches a dead link.
  timeout: 20_000,
  headers: { 'Content-Type': 'application/json' },
})

export async function request<T>(run: () => Promise<{ data: T }>): Promise<T> {
  try {
    return (await run()).data
  } catch (error) {
    if (error instanceof AxiosError && error.response) {
      throw failureOf(error.response.status, error.response.data)
    }
    throw new LoginFailure('network_error')
  }
}

function userOf(body: UserResponse | undefined): SessionUser {
  if (!body?.user) throw new LoginFailure('internal')
  return body.user
}

/** Step 3: the business request carrying WeChat's code. */
export async function postWechatLogin(body: LoginRequest): Promise<SessionUser> {
  return userOf(await request(() => http.post<UserResponse>('/auth/wechat', body)))
}

export async function getSession(): Promise<SessionUser> {
  return userOf(await request(() => http.get<UserResponse>('/session')))
}

/** 刷新资料: the profile re-read from WeChat with the grant the server keeps. */
export async function postSessionRefresh(): Promise<SessionUser> {
  return userOf(await request(() => http.post<UserResponse>('/session/refresh')))
}

export async function deleteSession(): Promise<void> {
  await request(() => http.delete('/session'))
}

/** 退出所有设备: ends every session of the signed-in user, this one included. */
export async function deleteSessions(): Promise<void> {
  await request(() => http.delete('/sessions'))
}

/**
 * The JS-SDK signature for `url`, the page URL WeChat will check (without its fragment).
 * @see wechat-behaviour.md §8
 */
export async function postJssdkConfig(url: string): Promise<JssdkConfigResponse> {
  const body: JssdkConfigRequest = { url }
  const signed = await request(() => http.post<JssdkConfigResponse>('/wechat/jssdk-config', body))
  if (typeof signed?.signature !== 'string') throw new LoginFailure('internal')
  return signed
}
