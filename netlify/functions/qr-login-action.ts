import type { Config, Context } from '@netlify/functions'
import { netlifyEnv } from '../lib/handlers.ts'
import { handleQrLoginAction } from '../lib/qr-handlers.ts'

export default (request: Request, context: Context) =>
  handleQrLoginAction(request, netlifyEnv(context))

/** `:action` is scan, confirm or cancel; the handler answers any other with a JSON 404. */
export const config: Config = { path: '/api/qr-login/:id/:action' }
