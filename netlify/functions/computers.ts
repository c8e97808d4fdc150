import type { Config, Context } from '@netlify/functions'
import { netlifyEnv } from '../lib/handlers.ts'
import { handleComputers } from '../lib/qr-handlers.ts'

export default (request: Request, context: Context) => handleComputers(request, netlifyEnv(context))

export const config: Config = { path: ['/api/computers', '/api/computers/:id'] }
