import type { Config, Context } from '@netlify/functions'
import { handleSession, netlifyEnv } from '../lib/handlers.ts'

export default (request: Request, context: Context) => handleSession(request, netlifyEnv(context))

export const config: Config = { path: '/api/session' }
