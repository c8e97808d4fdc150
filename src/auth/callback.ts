/** Where WeChat sends the browser back: the redirect_uri's path. */
export const CALLBACK_PATH = '/auth/callback'

/**
 * Marks markup that is the callback page's own until the app mounts: its 正在登录… (below,
 * put in by scripts/callback-page.ts) and the profile head drawn over it (early-profile.ts).
 * Vue's mount empties #app, so the mark is gone exactly when the app has taken over.
 */
export const SHELL_ATTRIBUTE = 'data-shell'

/**
 * What the callback page shows from its HTML until the app has mounted (Vue replaces it):
 * SignInView's 正在登录… (zh-CN's `signIn.pending`), with the app's delayed fade-in, so a
 * fast link never sees it flash. Only here: on a page with an early first paint,
 * Lighthouse counts the app's start-up script as blocking time, and this is the page
 * where a slow link waits longest (the sign-in itself). All literal (SHELL_ATTRIBUTE too),
 * so that no bundle that does not show it keeps it.
 */
export const SIGNING_IN_SHELL =
  '<div class="app" data-shell><main><div class="weui-msg app-delayed" aria-live="polite">' +
  '<div class="weui-msg__icon-area"><i class="weui-loading" aria-hidden="true"></i></div>' +
  '<header class="weui-msg__text-area"><h1 class="weui-msg__title">正在登录…</h1></header>' +
  '</div></main></div>'

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
