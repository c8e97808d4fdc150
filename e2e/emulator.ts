import type { BrowserContext, Page, Route } from '@playwright/test'
import { EMULATOR_URL } from './ports.ts'

/** The emulator's control API, as the e2e tests drive it. */
async function control(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
  const response = await fetch(`${EMULATOR_URL}/__emulator/${path}`, {
    method,
    headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${await response.text()}`)
  return response.headers.get('content-type')?.includes('json') ? response.json() : undefined
}

export interface LogEntry {
  at: number
  endpoint: 'authorize' | 'confirm' | 'access_token' | 'refresh_token' | 'userinfo' | 'auth'
  query: Record<string, string>
  errcode?: number
}

/** What `GET /__emulator/users` lists for each test user. */
export interface EmulatorUser {
  id: string
  nickname: string
  headimgurl: string
  hasUnionid: boolean
  snapshot: boolean
  followed: boolean
  openid: string
  unionid: string | null
  /** When the remembered snsapi_userinfo consent runs out (emulator clock), or null. */
  consentUntil: number | null
}

export const emulator = {
  url: EMULATOR_URL,
  reset: () => control('reset', {}),
  nextUser: (user: string) => control('next-user', { user }),
  fault: (fault: Record<string, unknown>) => control('faults', fault),
  log: () => control('log') as Promise<LogEntry[]>,
  users: () => control('users') as Promise<EmulatorUser[]>,
  /** Switches such as `{ testAccount: true }` or `{ baseUnionid: true }`; answers the whole config. */
  config: (config: Record<string, unknown>) =>
    control('config', config) as Promise<Record<string, unknown>>,
  /** Moves the emulator's clock (codes, tokens, the 30 days a consent is remembered). */
  advanceClock: (ms: number) => control('clock', { advanceMs: ms }) as Promise<{ now: number }>,
  /** Every user withdraws their snsapi_userinfo consent: the next one sees the sheet again. */
  forgetConsents: () => control('consents', undefined, 'DELETE') as Promise<{ forgotten: number }>,
  /** The user picks a new avatar: answers both URLs; the previous one then answers 404. */
  changeAvatar: (user: string) =>
    control(`users/${encodeURIComponent(user)}/avatar`, {}) as Promise<{
      previous: string
      headimgurl: string
    }>,
}

/**
 * WeChat's avatar hosts are not reachable from here; the emulator draws the same
 * avatars, so the browser is pointed at it for exactly those hosts.
 */
export async function serveAvatarsFromEmulator(
  target: Page | BrowserContext,
  emulatorUrl = EMULATOR_URL,
) {
  await target.route(/^https:\/\/(thirdwx|wx)\.qlogo\.cn\//, async (route: Route) => {
    const { pathname } = new URL(route.request().url())
    const response = await fetch(`${emulatorUrl}${pathname}`)
    await route.fulfill({
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'image/svg+xml',
      body: Buffer.from(await response.arrayBuffer()),
    })
  })
}
