export const DEFAULT_RETURN_TO = '/profile'

/**
 * Only a same-origin path may be a destination after sign-in: `//host`, `/\host`,
 * schemes and anything that resolves to another origin fall back to the profile.
 */
export function safeReturnTo(raw: unknown, origin = 'https://app.invalid'): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || /^\/[/\\]/.test(raw)) {
    return DEFAULT_RETURN_TO
  }
  // Control characters are stripped by URL parsers and could rebuild a `//host`.
  if (/[\u0000-\u001f\u007f]/.test(raw)) return DEFAULT_RETURN_TO
  try {
    const url = new URL(raw, origin)
    if (url.origin !== origin) return DEFAULT_RETURN_TO
    const path = `${url.pathname}${url.search}${url.hash}`
    // Dot segments resolve away (`/x/..//host`, `/.//host`), and can leave a `//host` that
    // would leave the origin when used as a URL: the result is checked again.
    return /^\/[/\\]/.test(path) ? DEFAULT_RETURN_TO : path
  } catch {
    return DEFAULT_RETURN_TO
  }
}
