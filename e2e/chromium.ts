/**
 * Debian's Chromium, as the e2e tests and the benchmarks launch it: Playwright's own
 * browser download is not reachable here. The flags keep a closed network quiet.
 */
export const CHROMIUM_EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
