import axios from 'axios'
import type { LoginRequest, SessionUser, UserResponse } from '../../contract/index.ts'

export const signIn = (body: LoginRequest) =>
  axios.post<UserResponse>('/api/auth/wechat', body).then((r): SessionUser => r.data.user)

export const getSession = () =>
  axios.get<UserResponse>('/api/session').then((r): SessionUser => r.data.user)
