import type { Config, Context } from '@netlify/functions'
import { handleSessionRefresh } from '../lib/handlers.ts'

export default (request: Request, context: Context) =>
  handleSessionRefresh(request, {
    env: (name) => Netlify.env.get(name),
    requestId: context.requestId,
    waitUntil: context.waitUntil,
  })

export const config: Config = { path: '/api/session/refresh' }
