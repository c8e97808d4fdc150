import type { Config, Context } from '@netlify/functions'
import { handleSessions, netlifyEnv } from '../lib/handlers.ts'

export default (request: Request, context: Context) => handleSessions(request, netlifyEnv(context))

export const config: Config = { path: '/api/sessions' }
