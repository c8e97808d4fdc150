import type { Config, Context } from '@netlify/functions'
import { handleWechatLogin, netlifyEnv } from '../lib/handlers.ts'

export default (request: Request, context: Context) =>
  handleWechatLogin(request, netlifyEnv(context))

export const config: Config = {
  path: '/api/auth/wechat',
  // Each sign-in costs two WeChat calls against a shared quota (45011); a client retrying
  // in a loop should be stopped here, long before WeChat stops everyone.
  rateLimit: { windowLimit: 30, windowSize: 60, aggregateBy: ['ip', 'domain'] },
}
