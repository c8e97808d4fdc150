import type { Config, Context } from '@netlify/functions'
import { netlifyEnv } from '../lib/handlers.ts'
import { handleQrLoginPoll } from '../lib/qr-handlers.ts'

export default (request: Request, context: Context) =>
  handleQrLoginPoll(request, netlifyEnv(context))

export const config: Config = {
  path: '/api/qr-login/:id',
  // A waiting computer polls every 2 seconds or so: 30 a minute per tab. Offices share an
  // address, so the limit is generous; it stops guessing and runaway loops.
  rateLimit: { windowLimit: 180, windowSize: 60, aggregateBy: ['ip', 'domain'] },
}
