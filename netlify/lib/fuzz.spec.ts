import type { Context } from '@netlify/functions'
import { EncryptJWT } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Emulator } from '../../emulator/server.ts'
import { startEmulator } from '../../emulator/test-support/index.ts'
import { DEV_SESSION_SECRET, emulatorEnv } from '../../scripts/emulator-env.ts'
import {
  API_ERROR_STATUS,
  CODE_PATTERN,
  STATE_PATTERN,
  stateForVerifier,
  VERIFIER_PATTERN,
  type ApiErrorCode,
  type SessionUser,
} from '../../contract/index.ts'
import authWechat from '../functions/auth-wechat.ts'
import session from '../functions/session.ts'
import { deriveKey } from './keys.ts'
import { newSessionId, sealSession, SESSION_TTL_S } from './session.ts'
import { testUser } from '../test-support/users.ts'

/**
 * Generated malformed requests against the real handlers and a real emulator: every one
 * must answer a 4xx contract error body and none may reach WeChat's token exchange.
 */

// Fixed so a failure reproduces; set FUZZ_SEED to explore others (the case count stays the same).
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eedc0de) >>> 0

function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const random = mulberry32(SEED)
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T
const draw = (alphabet: string, length: number) =>
  Array.from({ length }, () => pick([...alphabet])).join('')

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE64URL = `${ALNUM}-_`
const JSONISH = '{}[]":,\'\\ \t\n0123456789.eE+-abcdeflnrstuNI/*#'
const ODD = ' %#&\'"<>/\\;+-_.=?\t\n\r\0é中😀\u200f\u202e\u200b\ufeff'

const alnum = (min = 1, max = 32) => draw(ALNUM, int(min, max))
const VERIFIER = alnum(43, 128)
const STATE = await stateForVerifier(VERIFIER)
/** A login from the browser that asked for the code, unless told another state. */
const loginBody = (code = alnum(), state = STATE, silent?: boolean) =>
  JSON.stringify({ code, state, verifier: VERIFIER, silent })

/** What the handler must accept: used only to keep generated mutations malformed. */
function isWellFormedLogin(text: string): boolean {
  try {
    // Node's Request.text() drops leading byte order marks before the handler sees the text.
    const value: unknown = JSON.parse(text.replace(/^\ufeff+/, ''))
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
    const { code, state, verifier, silent } = value as Record<string, unknown>
    return (
      (silent === undefined || typeof silent === 'boolean') &&
      typeof code === 'string' &&
      CODE_PATTERN.test(code) &&
      typeof state === 'string' &&
      STATE_PATTERN.test(state) &&
      typeof verifier === 'string' &&
      VERIFIER_PATTERN.test(verifier)
    )
  } catch {
    return false
  }
}

function malformed(generate: () => string): string {
  for (;;) {
    const text = generate()
    if (!isWellFormedLogin(text)) return text
  }
}

function mutate(text: string): string {
  let out = text
  for (let n = int(1, 3); n > 0; n--) {
    const at = int(0, out.length)
    const op = int(0, 2)
    const char = pick([...JSONISH, ...ODD])
    if (op === 0) out = out.slice(0, at) + out.slice(at + 1)
    else if (op === 1) out = out.slice(0, at) + char + out.slice(at)
    else out = out.slice(0, at) + char + out.slice(at + 1)
  }
  return out
}

function show(value: unknown, max = 48): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value))
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text
}

const AUTH_URL = 'https://app.example/api/auth/wechat'
const SESSION_URL = 'https://app.example/api/session'
const bytes = (text: string) => new TextEncoder().encode(text)
const concat = (...parts: (Uint8Array | number[])[]) =>
  new Uint8Array(parts.flatMap((part) => [...part]))

interface RequestSpec {
  url?: string
  method?: string
  /** `null` sends no Content-Type beyond what the body implies. */
  type?: string | null
  headers?: Record<string, string>
  body?: BodyInit | null
}

function request({
  url = AUTH_URL,
  method = 'POST',
  type = 'application/json',
  headers = {},
  body = null,
}: RequestSpec): Request {
  const all = new Headers(headers)
  if (type !== null) all.set('content-type', type)
  // Node requires `duplex` for a streamed body; the DOM typings do not know it yet.
  return new Request(url, { method, headers: all, body, duplex: 'half' } as RequestInit)
}

interface Case {
  name: string
  endpoint: 'auth' | 'session'
  /** Built per run: a Request's body can be read once. */
  build: () => Request | Promise<Request>
  expected: ApiErrorCode
  message?: RegExp
}

const cases: Case[] = []

function add(
  group: string,
  label: string,
  expected: ApiErrorCode,
  build: Case['build'],
  extra: Pick<Case, 'message'> & { endpoint?: Case['endpoint'] } = {},
) {
  const name = `#${String(cases.length + 1).padStart(3, '0')} ${group}: ${label}`
  cases.push({ name, endpoint: extra.endpoint ?? 'auth', build, expected, message: extra.message })
}

// Wrong methods on /api/auth/wechat, with and without a well-formed login.
for (const method of ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'M-SEARCH']) {
  const canHaveBody = method !== 'GET' && method !== 'HEAD'
  add('method', `${method} /api/auth/wechat`, 'method_not_allowed', () =>
    request({ method, type: null }),
  )
  add('method', `${method} /api/auth/wechat?code&state`, 'method_not_allowed', () =>
    request({ method, url: `${AUTH_URL}?code=${alnum()}&state=s` }),
  )
  if (canHaveBody) {
    const login = loginBody()
    add('method', `${method} with login ${show(login)}`, 'method_not_allowed', () =>
      request({ method, body: login }),
    )
    const junk = malformed(() => draw(JSONISH, int(0, 40)))
    add('method', `${method} with junk ${show(junk)}`, 'method_not_allowed', () =>
      request({ method, body: junk, type: 'text/plain' }),
    )
  }
}

// Wrong methods on /api/session.
for (const method of ['POST', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'M-SEARCH']) {
  const canHaveBody = method !== 'HEAD'
  const endpoint = 'session'
  add(
    'method',
    `${method} /api/session`,
    'method_not_allowed',
    () => request({ url: SESSION_URL, method, type: null }),
    { endpoint },
  )
  add(
    'method',
    `${method} /api/session with a junk cookie`,
    'method_not_allowed',
    () =>
      request({
        url: SESSION_URL,
        method,
        type: null,
        headers: { cookie: `wx_session=${draw(BASE64URL, 40)}` },
      }),
    { endpoint },
  )
  if (canHaveBody) {
    const login = loginBody()
    add(
      'method',
      `${method} /api/session with login ${show(login)}`,
      'method_not_allowed',
      () => request({ url: SESSION_URL, method, body: login }),
      { endpoint },
    )
  }
}

// Content types other than application/json, with a well-formed login and with junk.
const WRONG_TYPES = [
  '',
  'text/plain',
  'text/plain; charset=utf-8',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/jsonp',
  'application/json-patch+json',
  'application/ld+json',
  'application/problem+json',
  'application/vnd.api+json',
  'application/json2',
  'application/jsonx; charset=utf-8',
  'application/json,text/plain',
  'application/ json',
  'application /json',
  'application\\json',
  'xapplication/json',
  'text/json',
  'text/javascript',
  'application/xml',
  'application/octet-stream',
  'application/*',
  '*/*',
  'json',
]
for (const type of WRONG_TYPES) {
  const login = loginBody()
  add('content-type', `${show(type)} with login`, 'unsupported_media_type', () =>
    request({ type, body: login }),
  )
  const junk = malformed(() => draw(JSONISH, int(0, 40)))
  add('content-type', `${show(type)} with junk ${show(junk)}`, 'unsupported_media_type', () =>
    request({ type, body: junk }),
  )
}
{
  const login = loginBody()
  add('content-type', 'none, bytes body', 'unsupported_media_type', () =>
    request({ type: null, body: bytes(login) }),
  )
  add('content-type', 'none, no body', 'unsupported_media_type', () => request({ type: null }))
  add('content-type', 'implied text/plain from a string body', 'unsupported_media_type', () =>
    request({ type: null, body: login }),
  )
  add('content-type', 'implied multipart from FormData', 'unsupported_media_type', () => {
    const form = new FormData()
    form.set('code', alnum())
    form.set('state', 's')
    return request({ type: null, body: form })
  })
  add('content-type', 'implied urlencoded from URLSearchParams', 'unsupported_media_type', () =>
    request({ type: null, body: new URLSearchParams({ code: alnum(), state: 's' }) }),
  )
  add('content-type', 'text/plain checked before size (1 MiB)', 'unsupported_media_type', () =>
    request({ type: 'text/plain', body: 'x'.repeat(1 << 20) }),
  )
}

// Malformed JSON.
const SYNTAX = [
  '',
  ' ',
  '\n',
  '{',
  '}',
  '{"code":"abc","state":"xyz",}',
  '{"code":"abc",,"state":"xyz"}',
  '{,"code":"abc","state":"xyz"}',
  '[1,]',
  "{'code':'abc','state':'xyz'}",
  '{code:"abc",state:"xyz"}',
  '{"code":NaN,"state":"xyz"}',
  '{"code":"abc","state":Infinity}',
  'NaN',
  '-Infinity',
  'undefined',
  '{"code":undefined,"state":"xyz"}',
  '// login\n{"code":"abc","state":"xyz"}',
  '{/* c */"code":"abc","state":"xyz"}',
  '{"code":"abc","state":"xyz"} // trailing',
  '{"code":"abc","state":"xyz"}{}',
  '{} {}',
  '{"code":0x1F,"state":"xyz"}',
  '{"code":012,"state":"xyz"}',
  '{"code":+1,"state":"xyz"}',
  '{"code":.5,"state":"xyz"}',
  '{"code":"a\u0001b","state":"xyz"}',
  '{"code":"ab\nc","state":"xyz"}',
  '{"code":"\\x41","state":"xyz"}',
  '{"code":"\\u12","state":"xyz"}',
  '{"code":"abc\\","state":"xyz"}',
  '{"code":"abc" "state":"xyz"}',
  '{"code"="abc","state"="xyz"}',
  '{"code":"abc";"state":"xyz"}',
  '\ufeff',
  ' \ufeff{"code":"abc","state":"xyz"}',
  '{"code":"abc",\ufeff"state":"xyz"}',
  '\u00a0{"code":"abc","state":"xyz"}',
  'code=abc&state=xyz',
  '<xml><code>abc</code></xml>',
  '"{"code":"abc","state":"xyz"}"',
  '[',
  '{"code":"abc","state":"xyz"',
  '{"code":"abc","state":"xyz"]',
]
for (const text of SYNTAX) {
  add('syntax', show(text), 'bad_request', () => request({ body: text }))
}
{
  const full = loginBody('abc123', 'xyz')
  for (let n = 1; n < full.length; n++) {
    const text = full.slice(0, n)
    add('truncated', show(text), 'bad_request', () => request({ body: text }))
  }
}
for (let n = 0; n < 30; n++) {
  const text = malformed(() => draw(JSONISH, int(1, 60)))
  add('random junk', show(text), 'bad_request', () => request({ body: text }))
}
for (let n = 0; n < 40; n++) {
  const text = malformed(() => mutate(loginBody()))
  add('random mutation', show(text), 'bad_request', () => request({ body: text }))
}

// Bytes that are not the UTF-8 of a login: invalid sequences, other encodings, BOMs.
const BOM = [0xef, 0xbb, 0xbf]
const BYTES: [string, Uint8Array][] = [
  ['BOM then code as number', concat(BOM, bytes('{"code":1,"state":"xyz"}'))],
  ['BOM then truncated', concat(BOM, bytes('{"code":"abc"'))],
  ['BOM only', new Uint8Array(BOM)],
  ['0xff before the object', concat([0xff], bytes(loginBody()))],
  ['0xff in code', concat(bytes('{"code":"ab'), [0xff], bytes('c","state":"xyz"}'))],
  ['overlong "/" in code', concat(bytes('{"code":"a'), [0xc0, 0xaf], bytes('b","state":"xyz"}'))],
  [
    'encoded surrogate in code',
    concat(bytes('{"code":"a'), [0xed, 0xa0, 0x80], bytes('","state":"x"}')),
  ],
  [
    'truncated sequence in state',
    concat(bytes('{"code":"abc","state":"x'), [0xe4, 0xb8], bytes('"}')),
  ],
  ['latin-1 é in code', concat(bytes('{"code":"caf'), [0xe9], bytes('","state":"xyz"}'))],
  [
    '5-byte sequence',
    concat(bytes('{"code":"a'), [0xf8, 0x88, 0x80, 0x80, 0x80], bytes('","state":"x"}')),
  ],
  ['NUL bytes', concat(bytes('{"code":"abc"'), [0, 0], bytes(',"state":"xyz"}'))],
  [
    'UTF-16LE with BOM',
    concat(
      [0xff, 0xfe],
      [...bytes(loginBody())].flatMap((b) => [b, 0]),
    ),
  ],
  [
    'UTF-16BE with BOM',
    concat(
      [0xfe, 0xff],
      [...bytes(loginBody())].flatMap((b) => [0, b]),
    ),
  ],
]
for (let n = 0; n < 10; n++) {
  const code = alnum(4, 20)
  const at = int(1, code.length - 1)
  const invalid = pick([[0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xfe], [0xff]])
  BYTES.push([
    `${show(invalid.map((b) => b.toString(16)).join(' '))} inside code ${show(code)}`,
    concat(
      bytes(`{"code":"${code.slice(0, at)}`),
      invalid,
      bytes(`${code.slice(at)}","state":"s"}`),
    ),
  ])
}
for (const [label, body] of BYTES) {
  add('bytes', label, 'bad_request', () => request({ body: body.slice() }))
}

// JSON that is not an object.
const NOT_OBJECTS = [
  'null',
  '0',
  '-1',
  '3.14',
  '1e999',
  '""',
  '"abc"',
  JSON.stringify(loginBody()),
  'true',
  'false',
  '[]',
  '[{"code":"abc","state":"xyz"}]',
  '["abc","xyz"]',
  '[null]',
]
for (const text of NOT_OBJECTS) {
  add('not an object', show(text), 'bad_request', () => request({ body: text }), {
    message: /^body must be a json object$/,
  })
}

// Bodies over 4096 bytes, counted in bytes, and declared lengths over it.
function padTo(bytesWanted: number, base = '{"code":"a b","state":"xyz","pad":""}'): string {
  const text = base.replace('"pad":""', `"pad":"${'x'.repeat(bytesWanted - bytes(base).length)}"`)
  if (bytes(text).length !== bytesWanted) throw new Error(`padTo(${bytesWanted}) is wrong`)
  return text
}
{
  const over = padTo(4097, `{"code":"${alnum()}","state":"xyz","pad":""}`)
  add('size', 'login padded to 4097 bytes', 'payload_too_large', () => request({ body: over }))
  const spaced = loginBody().padEnd(4097, ' ')
  add('size', 'login plus spaces to 4097 bytes', 'payload_too_large', () =>
    request({ body: spaced }),
  )
  add('size', 'exactly 4096 bytes is read (bad code)', 'bad_request', () =>
    request({ body: padTo(4096) }),
  )
  add('size', '1366 × "中" in code: 4098 bytes, 1386 chars', 'payload_too_large', () =>
    request({ body: `{"code":"${'中'.repeat(1366)}","state":"x"}` }),
  )
  add('size', '1025 × emoji in state', 'payload_too_large', () =>
    request({ body: `{"code":"abc","state":"${'😀'.repeat(1025)}"}` }),
  )
  add('size', '1 MiB padded login', 'payload_too_large', () =>
    request({ body: padTo(1 << 20, `{"code":"${alnum()}","state":"xyz","pad":""}`) }),
  )
  add('size', '1 MiB of "[" (never parsed)', 'payload_too_large', () =>
    request({ body: '['.repeat(1 << 20) }),
  )
  add('size', '1 MiB streamed without Content-Length', 'payload_too_large', () => {
    const chunk = new Uint8Array(1 << 16).fill(0x20)
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 16) controller.enqueue(chunk.slice())
        else controller.close()
      },
    })
    return request({ body: stream })
  })
  for (const length of ['4097', '1048576', '99999999999999999999', '1e6', '0x2000']) {
    add('size', `Content-Length ${length} on a login`, 'payload_too_large', () =>
      request({ body: loginBody(), headers: { 'content-length': length } }),
    )
  }
  for (const length of ['abc', '-1', '', '0', '4096']) {
    add('size', `Content-Length ${show(length)} on junk`, 'bad_request', () =>
      request({ body: '{"code":', headers: { 'content-length': length } }),
    )
  }
}

// code and state: missing, wrong type, empty, too long, odd characters.
const MISSING = Symbol('missing')
const BAD_VALUES: unknown[] = [
  MISSING,
  '',
  0,
  123,
  -1,
  1.5,
  1e21,
  [],
  ['abc'],
  {},
  { value: 'abc' },
  null,
  true,
  false,
  'a'.repeat(129),
  'Z'.repeat(1000),
  ' abc',
  'abc ',
  'a b',
  '\tabc',
  'a\nb',
  'a\r\nb',
  '%41bc',
  '%',
  'a%00b',
  'café',
  '中文',
  '😀',
  '\u200fabc',
  'abc\u202e',
  '\u200babc',
  '\ufeffabc',
  'a\u0000b',
  '#',
  'abc#frag',
  '&',
  'a&state=b',
  "a'b",
  'a"b',
  '<script>alert(1)</script>',
  '../etc/passwd',
  'a\\b',
  'a;b',
  'a+b',
  'a-b',
  '83_abc',
  'a.b',
  '１２３',
  '٣٣٣',
  'ı',
  '\u212a',
  '\ud800',
]
function fields(code: unknown, state: unknown, verifier: unknown = VERIFIER): string {
  const body: Record<string, unknown> = {}
  if (code !== MISSING) body.code = code
  if (state !== MISSING) body.state = state
  if (verifier !== MISSING) body.verifier = verifier
  return JSON.stringify(body)
}
const label = (value: unknown) => (value === MISSING ? 'missing' : show(value, 32))
for (const value of BAD_VALUES) {
  const text = fields(value, alnum(1, 16))
  add('code', label(value), 'bad_request', () => request({ body: text }), { message: /^code / })
}
for (const value of BAD_VALUES) {
  const text = fields(alnum(), value)
  add('state', label(value), 'bad_request', () => request({ body: text }), { message: /^state / })
}
for (const value of [...BAD_VALUES, 'A'.repeat(42), 'A'.repeat(129), `${VERIFIER.slice(1)}-`]) {
  const text = fields(alnum(), STATE, value)
  add('verifier', label(value), 'bad_request', () => request({ body: text }), {
    message: /^verifier /,
  })
}
// `silent` is true or false, nothing that merely looks like either.
for (const value of [1, 0, 'true', 'false', '', null, [], [true], {}, { silent: true }]) {
  const text = JSON.stringify({ code: alnum(), state: STATE, verifier: VERIFIER, silent: value })
  add('silent', show(value, 32), 'bad_request', () => request({ body: text }), {
    message: /^silent must be true or false$/,
  })
}
// Well-formed, but not from the browser that asked: nothing is exchanged.
for (let n = 0; n < 10; n++) {
  // Another browser's verifier with this state, or this verifier with another state.
  const text =
    n % 2 === 0 ? fields(alnum(), STATE, alnum(43, 128)) : fields(alnum(), alnum(1, 128), VERIFIER)
  add('state binding', show(text, 64), 'state_invalid', () => request({ body: text }), {
    message: /^the state does not come from this verifier$/,
  })
}

// Extra fields alongside a bad code or state; none of them may stand in for the real ones.
const EXTRAS = [
  '{"__proto__":{"code":"abc","state":"xyz"}}',
  '{"__proto__":{"code":"abc"},"state":"xyz"}',
  '{"constructor":{"prototype":{"code":"abc"}},"state":"xyz"}',
  '{"code":"abc","code":"a b","state":"xyz"}',
  '{"Code":"abc","State":"xyz"}',
  '{"code ":"abc","state":"xyz"}',
  '{"code":"a b","state":"xyz","openid":"o123","unionid":"o456"}',
  '{"code":["abc"],"state":"xyz","access_token":"83_abc","appid":"wx123"}',
  '{"code":"abc","state":"","secret":"x","user":{"openid":"o1"}}',
  '{"code":"abc","state":{"toString":"xyz"},"scope":"snsapi_userinfo"}',
  '{"data":{"code":"abc","state":"xyz"}}',
  '{"login":"{\\"code\\":\\"abc\\",\\"state\\":\\"xyz\\"}"}',
]
for (const text of EXTRAS) {
  add('extra fields', show(text, 64), 'bad_request', () => request({ body: text }))
}

// Huge headers on the login endpoint do not change the answer to the body.
const HUGE_COOKIE = `wx_session=${draw(BASE64URL, 16 * 1024)}`
const MANY_COOKIES = Array.from({ length: 1000 }, (_, n) => `c${n}=${alnum(4, 8)}`).join('; ')
add('headers', '16 KiB cookie, junk body', 'bad_request', () =>
  request({ body: '{"code":', headers: { cookie: HUGE_COOKIE } }),
)
add('headers', '1000 cookies, bad code', 'bad_request', () =>
  request({ body: fields('a b', 'xyz'), headers: { cookie: MANY_COOKIES } }),
)
add('headers', '16 KiB X-Pad header, text/plain', 'unsupported_media_type', () =>
  request({ type: 'text/plain', body: loginBody(), headers: { 'x-pad': 'p'.repeat(16 * 1024) } }),
)
add('headers', '16 KiB cookie, GET', 'method_not_allowed', () =>
  request({ method: 'GET', type: null, headers: { cookie: HUGE_COOKIE } }),
)

// GET /api/session with a cookie that is not a session of ours: 401, never 5xx.
const USER: SessionUser = testUser({ openid: `o${draw(BASE64URL, 27)}` })
/** The session cookie's name on https, where these requests go. */
const NAME = '__Host-wx_session'
const nowS = () => Math.floor(Date.now() / 1000)
const claims = (authTime = nowS()) => ({ user: USER, sid: newSessionId(), authTime })
const DEV_SECRETS = { current: DEV_SESSION_SECRET, previous: [] }
const key = (secret: string) => deriveKey(secret, 'session')
const getSession = (cookie: string | null) => () =>
  request({ url: SESSION_URL, method: 'GET', type: null, headers: cookie ? { cookie } : {} })
const getSessionWith = (token: () => Promise<string>) => async () =>
  request({
    url: SESSION_URL,
    method: 'GET',
    type: null,
    headers: { cookie: `${NAME}=${await token()}` },
  })
const COOKIES = [
  '',
  'wx_session',
  'wx_session=',
  'wx_session=;',
  '=',
  ';;;',
  '=wx_session',
  'wx_session= ',
  'wx_session="abc"',
  'wx_session=%zz%',
  'wx_session=null',
  'wx_session=undefined',
  'wx_session=é',
  'wx_session=a.b.c.d.e',
  'wx_session=....',
  'wx_session=eyJhbGciOiJub25lIn0.eyJ1c2VyIjp7Im9wZW5pZCI6Im8xIn19.',
  'wx_session=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
  'wx_session=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiemlwIjoiREVGIn0..x.y.z',
  'wx_session=eyJhbGciOiJub25lIiwiZW5jIjoibm9uZSJ9....',
  `WX_SESSION=${draw(BASE64URL, 40)}`,
  `wx_session_old=${draw(BASE64URL, 40)}`,
  HUGE_COOKIE,
  MANY_COOKIES,
  `${MANY_COOKIES}; wx_session=${draw(BASE64URL, 200)}`,
]
for (const cookie of COOKIES.map((text) => text.replace(/\bwx_session\b/g, NAME))) {
  add('session cookie', show(cookie), 'not_signed_in', getSession(cookie), { endpoint: 'session' })
}
add('session cookie', 'no cookie header', 'not_signed_in', getSession(null), {
  endpoint: 'session',
})
for (let n = 0; n < 12; n++) {
  const token = Array.from({ length: int(1, 6) }, () => draw(BASE64URL, int(0, 60))).join('.')
  add('session cookie', `random ${show(token)}`, 'not_signed_in', getSession(`${NAME}=${token}`), {
    endpoint: 'session',
  })
}
const signed = {
  'sealed with a foreign secret': () =>
    sealSession(claims(), { current: `${DEV_SESSION_SECRET}-elsewhere`, previous: [] }, nowS()),
  'expired a minute ago': () => {
    const then = nowS() - SESSION_TTL_S - 60
    return sealSession(claims(then), DEV_SECRETS, then)
  },
  'ciphertext tampered': async () => {
    const parts = (await sealSession(claims(), DEV_SECRETS, nowS())).split('.')
    const cipher = parts[3] ?? ''
    parts[3] = (cipher.startsWith('A') ? 'B' : 'A') + cipher.slice(1)
    return parts.join('.')
  },
  'tag cut short': async () => (await sealSession(claims(), DEV_SECRETS, nowS())).slice(0, -4),
  'without a session id': async () =>
    new EncryptJWT({ user: USER, auth_time: nowS() })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .encrypt(await key(DEV_SESSION_SECRET)),
  'signed in an hour from now': async () =>
    new EncryptJWT({ user: USER, sid: newSessionId(), auth_time: nowS() + 3600 })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(nowS() + 3600)
      .setExpirationTime('2h')
      .encrypt(await key(DEV_SESSION_SECRET)),
  'without a user': async () =>
    new EncryptJWT({ sub: 'o1' })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .encrypt(await key(DEV_SESSION_SECRET)),
  'with a numeric openid': async () =>
    new EncryptJWT({ user: { openid: 1 } })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .encrypt(await key(DEV_SESSION_SECRET)),
}
for (const [what, token] of Object.entries(signed)) {
  add('session token', what, 'not_signed_in', getSessionWith(token), { endpoint: 'session' })
}
add(
  'session cookie',
  `junk ${NAME} before a valid one`,
  'not_signed_in',
  async () =>
    request({
      url: SESSION_URL,
      method: 'GET',
      type: null,
      headers: {
        cookie: `${NAME}=junk; ${NAME}=${await sealSession(claims(), DEV_SECRETS, nowS())}`,
      },
    }),
  { endpoint: 'session' },
)
add(
  'session cookie',
  'a valid session under the plain name, which a sibling subdomain can set',
  'not_signed_in',
  async () =>
    request({
      url: SESSION_URL,
      method: 'GET',
      type: null,
      headers: { cookie: `wx_session=${await sealSession(claims(), DEV_SECRETS, nowS())}` },
    }),
  { endpoint: 'session' },
)

// Secrets and stack traces must never leak into an answer.
const LEAKS =
  /\bat\s+\S+\s+\(|\bat\s+(?:file:|node:|\/)|\.(?:ts|js|mjs|cjs):\d+|node_modules|\/work\//

let emulator: Emulator
let env: Record<string, string | undefined>
const context = { requestId: 'req-fuzz' } as Context

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Every way an answer breaks the error contract, in words; empty when it keeps it. */
async function violations(
  response: Response,
  expected: ApiErrorCode,
  message = /./,
): Promise<string[]> {
  const { status } = response
  const text = await response.text()
  const found: string[] = []
  if (status < 400 || status > 499) found.push(`status ${status} is not 4xx`)
  const type = response.headers.get('content-type')
  if (type !== 'application/json; charset=utf-8') found.push(`content-type is ${type}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const error = isRecord(body) ? body.error : undefined
  if (
    !isRecord(body) ||
    Object.keys(body).join() !== 'error' ||
    !isRecord(error) ||
    Object.keys(error).sort().join() !== 'code,message'
  ) {
    found.push(`body is not { error: { code, message } }: ${text.slice(0, 300)}`)
  } else {
    const { code, message: said } = error
    if (typeof code !== 'string' || !Object.hasOwn(API_ERROR_STATUS, code)) {
      found.push(`code ${show(code)} is not in API_ERROR_STATUS`)
    } else if (API_ERROR_STATUS[code as ApiErrorCode] !== status) {
      found.push(`code ${code} does not go with status ${status}`)
    }
    if (code !== expected) found.push(`code ${show(code)} is not ${expected}`)
    if (typeof said !== 'string' || said === '') found.push('message is not a non-empty string')
    else if (!message.test(said)) found.push(`message ${show(said)} does not match ${message}`)
  }
  if (LEAKS.test(text)) found.push(`body leaks a stack or a path: ${text.slice(0, 300)}`)
  for (const secret of [env.WECHAT_APPSECRET, env.SESSION_SECRET, '83_']) {
    if (secret && text.includes(secret)) found.push(`body contains ${show(secret)}`)
  }
  return found
}

const reachedTokenExchange = () =>
  emulator.log().filter((entry) => entry.endpoint === 'access_token').length

beforeAll(async () => {
  emulator = await startEmulator()
  vi.stubGlobal('Netlify', { env: { get: (name: string) => env[name] } })
})

afterAll(async () => {
  vi.unstubAllGlobals()
  await emulator.close()
})

beforeEach(() => {
  emulator.reset()
  env = { ...emulatorEnv(emulator.url), WECHAT_TIMEOUT_MS: '1000' }
})

describe(`malformed requests (seed ${SEED})`, () => {
  it('are at least 300', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300)
  })

  it.each(cases)('$name', async ({ name, endpoint, build, expected, message }) => {
    const handler = endpoint === 'auth' ? authWechat : session
    const response = await handler(await build(), context)
    const seen = {
      case: name,
      seed: SEED,
      violations: await violations(response, expected, message),
      tokenExchanges: reachedTokenExchange(),
    }
    expect(seen).toEqual({ case: name, seed: SEED, violations: [], tokenExchanges: 0 })
  })
})

describe(`well-formed logins with an unknown code (seed ${SEED})`, () => {
  const logins = [
    { label: '1-char code', type: 'application/json', body: loginBody(alnum(1, 1)) },
    {
      label: '128-char code',
      type: 'application/json',
      body: loginBody(alnum(128, 128)),
    },
    { label: 'random code', type: 'application/json', body: loginBody() },
    { label: 'upper-case type', type: 'APPLICATION/JSON; CHARSET=UTF-8', body: loginBody() },
    {
      label: 'extra fields',
      type: 'application/json',
      body: JSON.stringify({
        code: alnum(),
        state: STATE,
        verifier: VERIFIER,
        extra: [1, { a: null }],
      }),
    },
    { label: 'silent', type: 'application/json', body: loginBody(alnum(), STATE, true) },
    { label: 'not silent', type: 'application/json', body: loginBody(alnum(), STATE, false) },
    // RFC 8259 §8.1 lets a parser ignore one byte order mark; fetch's text() drops it.
    { label: 'one BOM', type: 'application/json', body: `\ufeff${loginBody()}` },
  ]

  it.each(logins)('$label reach WeChat once and answer invalid_code', async ({ type, body }) => {
    const { code } = JSON.parse(body.replace(/^\ufeff/, '')) as { code: string }
    const response = await authWechat(request({ type, body }), context)
    expect(await violations(response, 'invalid_code')).toEqual([])
    expect(emulator.log().map((entry) => [entry.endpoint, entry.query.code])).toEqual([
      ['access_token', code],
    ])
  })
})

describe('DELETE /api/session with junk', () => {
  it.each([
    ['a junk cookie', { cookie: `${NAME}=${draw(BASE64URL, 64)}` }, null],
    ['a 16 KiB cookie', { cookie: HUGE_COOKIE }, null],
    ['a junk body', {}, '{"code":'],
    ['a 1 MiB body', {}, 'x'.repeat(1 << 20)],
  ])('signs out regardless of %s', async (_, headers, body) => {
    const response = await session(
      request({ url: SESSION_URL, method: 'DELETE', type: null, headers, body }),
      context,
    )
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
    expect(response.headers.get('set-cookie')).toMatch(/^__Host-wx_session=; .*Max-Age=0/)
  })
})
