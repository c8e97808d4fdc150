import type { Context } from '@netlify/functions'
import { handleNotFound } from '../lib/handlers.ts'

/**
 * `/api/*` paths that no other function declares, rewritten here by netlify.toml: the API's JSON
 * 404, never the SPA's page. It has no path of its own, so it shadows no function: Netlify
 * matches functions' paths before any redirect (https://docs.netlify.com/platform/request-chain).
 */
export default (_request: Request, context: Context) => handleNotFound(context)
