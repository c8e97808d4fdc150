import type { Config, Context } from '@netlify/functions'
import { handleAvatar, netlifyEnv } from '../lib/handlers.ts'

export default (request: Request, context: Context) => handleAvatar(request, netlifyEnv(context))

export const config: Config = { path: '/api/avatar/:key' }
