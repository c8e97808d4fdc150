import { JSDOM } from 'jsdom'
import { createEmulator, type Emulator, type EmulatorOptions } from '../server'
import type { TestUserId } from '../users'

/** WeChat 8.0.40 on iOS. */
export const WECHAT_IOS_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'

export const DESKTOP_CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36'

/** The emulator's clock in tests starts here, so logged times are exact. */
export const T0 = Date.UTC(2025, 5, 1, 8, 0, 0)

export const APP_CALLBACK = 'http://localhost:8888/auth/callback'

/** An emulator on an ephemeral port with a frozen base clock. */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return createEmulator({ port: 0, quiet: true, now: () => T0, ...options })
}

export type AuthorizeParams = ReadonlyArray<readonly [string, string]>

/** The parameters of a valid link, in WeChat's order. */
export function validParams(
  overrides: { scope?: string; state?: string; redirectUri?: string } = {},
  appId = 'wxd0e1a2b3c4f5e6d7',
): AuthorizeParams {
  return [
    ['appid', appId],
    ['redirect_uri', overrides.redirectUri ?? APP_CALLBACK],
    ['response_type', 'code'],
    ['scope', overrides.scope ?? 'snsapi_userinfo'],
    ['state', overrides.state ?? 'xyz123'],
  ]
}

/** An authorize URL with the parameters in the given order, encoded as an app would. */
export function authorizeUrl(base: string, params: AuthorizeParams, hash = ''): string {
  const query = params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')
  return `${base}/connect/oauth2/authorize?${query}${hash}`
}

export function queryOf(url: string): string {
  return url.slice(url.indexOf('?') + 1).replace(/#.*$/, '')
}

export interface LoadedPage {
  readonly status: number
  readonly html: string
  readonly document: Document
  /** The error page's `data-errcode`, or null. */
  readonly errcode: string | null
  /** The error page's visible text, or null. */
  readonly text: string | null
}

/** GETs a page and parses it without running its scripts. */
export async function loadPage(
  url: string,
  headers: Record<string, string> = {},
): Promise<LoadedPage> {
  const response = await fetch(url, { headers: { 'User-Agent': WECHAT_IOS_UA, ...headers } })
  const html = await response.text()
  const { document } = new JSDOM(html).window
  return {
    status: response.status,
    html,
    document,
    errcode: document.querySelector('[data-errcode]')?.getAttribute('data-errcode') ?? null,
    text: document.querySelector('.msg-text')?.textContent ?? null,
  }
}

/** The `data-redirect` of the silent-redirect page. */
export function redirectTarget(page: LoadedPage): string {
  const target = page.document.body.dataset.redirect
  if (target === undefined) throw new Error(`not a redirect page: ${page.html}`)
  return target
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': WECHAT_IOS_UA, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as unknown,
  }
}

/** Answers the consent sheet as its buttons would. */
export function confirm(
  emulator: Emulator,
  query: string,
  user: string,
  decision: string,
  headers: Record<string, string> = {},
) {
  return postJson(
    `${emulator.url}/connect/oauth2/authorize/confirm`,
    { query, user, decision },
    headers,
  )
}

/** Runs an authorization through the emulator and answers the code it redirected with. */
export async function obtainCode(
  emulator: Emulator,
  options: { user?: TestUserId; scope?: 'snsapi_base' | 'snsapi_userinfo' } = {},
): Promise<string> {
  const scope = options.scope ?? 'snsapi_userinfo'
  const url = authorizeUrl(emulator.url, validParams({ scope }))
  let target: string
  if (scope === 'snsapi_base' || options.user === 'snapshot') {
    emulator.setNextUser(options.user ?? null)
    target = redirectTarget(await loadPage(url))
  } else {
    const answer = await confirm(emulator, queryOf(url), options.user ?? 'normal', 'allow')
    target = (answer.json as { redirect: string }).redirect
  }
  const code = new URL(target).searchParams.get('code')
  if (!code) throw new Error(`no code in ${target}`)
  return code
}

async function apiAnswer(response: Response) {
  const text = await response.text()
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    body: JSON.parse(text) as Record<string, unknown>,
  }
}

/** A GET on the API (`/sns`, `/cgi-bin`): status, Content-Type and the parsed body. */
export async function sns(emulator: Emulator, path: string, params: Record<string, string>) {
  return apiAnswer(await fetch(`${emulator.url}${path}?${new URLSearchParams(params)}`))
}

/** A POST of a JSON body to the API, as `/cgi-bin/stable_token` takes it; answered as `sns`. */
export async function postApi(emulator: Emulator, path: string, body: unknown) {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return apiAnswer(response)
}

/** Exchanges a code with the emulator's own credentials. */
export function exchange(emulator: Emulator, code: string) {
  return sns(emulator, '/sns/oauth2/access_token', {
    appid: emulator.appId,
    secret: emulator.appSecret,
    code,
    grant_type: 'authorization_code',
  })
}

type SnsResponse = Awaited<ReturnType<typeof sns>>

/** What a caller sees of a WeChat error, with the random rid masked as `<rid>`. */
export function errorSeen(answer: SnsResponse) {
  const errmsg = String(answer.body.errmsg)
  return {
    status: answer.status,
    contentType: answer.contentType,
    keys: Object.keys(answer.body),
    errcode: answer.body.errcode,
    errmsg: errmsg.replace(/, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/, ', rid: <rid>'),
  }
}

/** A WeChat error as `errorSeen` shows it: HTTP 200, text/plain, errcode and errmsg. */
export function wechatError(errcode: number, text: string): ReturnType<typeof errorSeen> {
  return {
    status: 200,
    contentType: 'text/plain',
    keys: ['errcode', 'errmsg'],
    errcode,
    errmsg: `${text}, rid: <rid>`,
  }
}

/** Matches a WeChat error body's errmsg: the text and a fresh rid. */
export function errmsgPattern(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${escaped}, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)
}
