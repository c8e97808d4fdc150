import axios from 'axios'

export interface User {
  openid: string
  nickname: string
}

export const signIn = (code: string, state: string) =>
  axios.post<{ user: User }>('/api/auth/wechat', { code, state }).then((r) => r.data.user)

export const getSession = () => axios.get<{ user: User }>('/api/session').then((r) => r.data.user)
