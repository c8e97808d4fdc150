/**
 * What the phone is told about the computer asking to be signed in: a browser with its major
 * version and a system, named from the User-Agent. Rules are tried in order, the first that
 * matches names it; many browsers name others too (Edge says Chrome and Safari, Chrome says
 * Safari, iOS says "like Mac OS X"), so the more specific come first. '' when nothing matches.
 */
const BROWSERS: readonly [pattern: RegExp, name: string][] = [
  [/\bMicroMessenger\/(\d+)/, 'WeChat'],
  [/\bEdgA?\/(\d+)/, 'Edge'],
  [/\bEdgiOS\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\bFirefox\/(\d+)/, 'Firefox'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bChrome\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
]

const SYSTEMS: readonly [pattern: RegExp, name: string][] = [
  [/\bWindows NT\b/, 'Windows'],
  [/\biPhone\b/, 'iOS'],
  [/\biPad\b/, 'iPadOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bMac OS X\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]

/** e.g. "Chrome 131", "Safari 17", or ''. */
export function browserOf(userAgent: string): string {
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(userAgent)
    if (match) return `${name} ${Number(match[1])}`
  }
  return ''
}

/** e.g. "Windows", "macOS", "Linux", or ''. */
export function systemOf(userAgent: string): string {
  return SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? ''
}
