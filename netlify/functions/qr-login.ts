import type { Config, Context } from '@netlify/functions'
import { netlifyEnv } from '../lib/handlers.ts'
import { handleQrLoginCreate } from '../lib/qr-handlers.ts'

export default (request: Request, context: Context) =>
  handleQrLoginCreate(request, netlifyEnv(context))

export const config: Config = {
  path: '/api/qr-login',
  // A computer asks once per code shown (every 2 minutes); a few tabs, a few retries. Each
  // request is a Blobs write: a loop must not fill the store.
  rateLimit: { windowLimit: 20, windowSize: 60, aggregateBy: ['ip', 'domain'] },
}
