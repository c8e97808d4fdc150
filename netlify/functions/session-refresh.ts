import type { Config, Context } from '@netlify/functions'
import { handleSessionRefresh, netlifyEnv } from '../lib/handlers.ts'

export default (request: Request, context: Context) =>
  handleSessionRefresh(request, netlifyEnv(context))

export const config: Config = { path: '/api/session/refresh' }
