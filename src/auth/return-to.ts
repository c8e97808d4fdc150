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
    return `${url.pathname}${url.search}${url.hash}`
  } catch {
    return DEFAULT_RETURN_TO
  }
}
