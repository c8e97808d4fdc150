/** Where WeChat sends the browser back: the redirect_uri's path. */
export const CALLBACK_PATH = '/auth/callback'

export interface CallbackParams {
  /** null when the user refused (WeChat then sends state alone); 'authdeny' was also seen. */
  code: string | null
  state: string | null
}

/**
 * Step 2: reads `code` and `state` from `location.search`. WeChat puts its query before
 * any `#fragment`, so the search string is the only right place to look; splitting the
 * whole href on `?` would glue a fragment onto `state`.
 * Returns null when the URL is not a WeChat callback at all.
 * @see wechat-behaviour.md §2
 */
export function readCallbackParams(search: string): CallbackParams | null {
  const query = new URLSearchParams(search)
  if (!query.has('code') && !query.has('state')) return null
  const code = query.get('code')
  return {
    code: code && code !== 'authdeny' ? code : null,
    state: query.get('state'),
  }
}
