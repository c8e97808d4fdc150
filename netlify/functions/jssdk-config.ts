import type { Config, Context } from '@netlify/functions'
import { netlifyEnv } from '../lib/handlers.ts'
import { handleJssdkConfig } from '../lib/jssdk.ts'

export default (request: Request, context: Context) =>
  handleJssdkConfig(request, netlifyEnv(context))

export const config: Config = { path: '/api/wechat/jssdk-config' }
