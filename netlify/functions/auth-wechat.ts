import type { Config, Context } from '@netlify/functions'
import { handleWechatLogin } from '../lib/handlers.ts'

export default (request: Request, context: Context) =>
  handleWechatLogin(request, { env: (name) => Netlify.env.get(name), requestId: context.requestId })

export const config: Config = { path: '/api/auth/wechat' }
