import { describe, expect, it, vi } from 'vitest'
import { ConfigError } from './config.ts'
import { ApiError, errorResponse, fromWechatError, readLoginRequest } from './http.ts'
import { WechatError } from './wechat.ts'

function post(body: string, type = 'application/json') {
  return new Request('https://app.test/api/auth/wechat', {
    method: 'POST',
    headers: { 'Content-Type': type },
    body,
  })
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof ApiError)) throw new Error(`expected ApiError, got ${String(error)}`)
  return error
}

const V = 'v'.repeat(43)

describe('readLoginRequest', () => {
  it('returns code, state and verifier, ignoring other fields', async () => {
    const input = await readLoginRequest(
      post(`{"code":"abc123","state":"XyZ09","verifier":"${V}","extra":true}`),
    )
    expect(input).toEqual({ code: 'abc123', state: 'XyZ09', verifier: V })
  })

  it('passes on a known lang and refuses another', async () => {
    const input = await readLoginRequest(
      post(`{"code":"a","state":"b","verifier":"${V}","lang":"zh_TW"}`),
    )
    expect(input).toEqual({ code: 'a', state: 'b', verifier: V, lang: 'zh_TW' })
    const error = await rejection(
      readLoginRequest(post(`{"code":"a","state":"b","verifier":"${V}","lang":"fr"}`)),
    )
    expect([error.code, error.message]).toEqual(['bad_request', 'lang must be zh_CN, zh_TW or en'])
  })

  it('accepts a charset parameter on the content type', async () => {
    const input = await readLoginRequest(
      post(`{"code":"a","state":"b","verifier":"${V}"}`, 'application/json; charset=utf-8'),
    )
    expect(input.code).toBe('a')
  })

  it.each([
    ['missing', '{"code":"a","state":"b"}'],
    ['empty', '{"code":"a","state":"b","verifier":""}'],
    ['42 characters', `{"code":"a","state":"b","verifier":"${'v'.repeat(42)}"}`],
    ['129 characters', `{"code":"a","state":"b","verifier":"${'v'.repeat(129)}"}`],
    ['with a dash', `{"code":"a","state":"b","verifier":"${'v'.repeat(42)}-"}`],
    ['a number', '{"code":"a","state":"b","verifier":1}'],
  ])('refuses a verifier %s with bad_request', async (_what, body) => {
    const error = await rejection(readLoginRequest(post(body)))
    expect([error.code, error.message]).toEqual([
      'bad_request',
      'verifier must be 43 to 128 letters or digits',
    ])
  })

  it('takes 43 and 128 characters', async () => {
    for (const verifier of ['A'.repeat(43), '9'.repeat(128)]) {
      const input = await readLoginRequest(
        post(JSON.stringify({ code: 'a', state: 'b', verifier })),
      )
      expect(input.verifier).toBe(verifier)
    }
  })

  it.each([
    [
      'text/plain',
      '{"code":"a","state":"b"}',
      'unsupported_media_type',
      'content-type must be application/json',
    ],
    ['application/json', '{"code":"a",', 'bad_request', 'body is not valid json'],
    ['application/json', '["a","b"]', 'bad_request', 'body must be a json object'],
    ['application/json', 'null', 'bad_request', 'body must be a json object'],
    ['application/json', '{"state":"b"}', 'bad_request', 'code must be 1 to 128 letters or digits'],
    [
      'application/json',
      '{"code":"a b","state":"b"}',
      'bad_request',
      'code must be 1 to 128 letters or digits',
    ],
    [
      'application/json',
      '{"code":"a","state":"b#frag"}',
      'bad_request',
      'state must be 1 to 128 letters or digits',
    ],
    [
      'application/json',
      '{"code":"a","state":""}',
      'bad_request',
      'state must be 1 to 128 letters or digits',
    ],
    [
      'application/json',
      `{"code":"${'a'.repeat(129)}","state":"b"}`,
      'bad_request',
      'code must be 1 to 128 letters or digits',
    ],
    [
      'application/json',
      `{"code":"a","state":"b","pad":"${'x'.repeat(5000)}"}`,
      'payload_too_large',
      'body is too large',
    ],
  ])('with %s %j answers %s', async (type, body, code, message) => {
    const error = await rejection(readLoginRequest(post(body, type)))
    expect([error.code, error.message]).toEqual([code, message])
  })
})

describe('errorResponse', () => {
  it('answers the contract shape and status for an ApiError', async () => {
    const response = errorResponse(new ApiError('bad_request', 'body is not valid json'))
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await response.json()).toEqual({
      error: { code: 'bad_request', message: 'body is not valid json' },
    })
  })

  it('hides the detail of an unexpected error and logs it with the request id', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const response = errorResponse(new TypeError('secret detail at line 3'), 'req-42')
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).toBe('{"error":{"code":"internal","message":"internal error"}}')
    expect(log.mock.calls[0]?.[0]).toBe('[req-42] internal:')
    log.mockRestore()
  })

  it('names the missing variable in the log for a ConfigError, not in the answer', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const response = errorResponse(new ConfigError('WECHAT_APPSECRET', 'is not set'), 'req-7')
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      error: { code: 'misconfigured', message: 'the service is misconfigured' },
    })
    expect(log).toHaveBeenCalledWith(
      '[req-7] misconfigured: set WECHAT_APPSECRET: WECHAT_APPSECRET is not set',
    )
    log.mockRestore()
  })
})

describe('fromWechatError', () => {
  const errcode = (n: number) =>
    fromWechatError(new WechatError('errcode', 'access_token', 'x', { errcode: n, errmsg: 'm' }))
      .code

  it.each([
    [40029, 'invalid_code'],
    [42003, 'invalid_code'],
    [41008, 'invalid_code'],
    [40163, 'code_used'],
    [-1, 'wechat_busy'],
    [45011, 'wechat_rate_limited'],
    [48001, 'scope_unauthorized'],
    [40013, 'misconfigured'],
    [40125, 'misconfigured'],
    [41002, 'misconfigured'],
    [41004, 'misconfigured'],
    [40164, 'misconfigured'],
    [40014, 'wechat_rejected'],
    [99999, 'wechat_rejected'],
  ])('maps errcode %i to %s', (n, code) => {
    expect(errcode(n)).toBe(code)
  })

  it('maps a profile of another openid to wechat_rejected, and logs it', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const error = new WechatError('openid_mismatch', 'userinfo', 'userinfo answered another openid')
    const response = errorResponse(error, 'req-8')
    expect(response.status).toBe(502)
    expect(log).toHaveBeenCalledWith('[req-8] wechat_rejected: userinfo answered another openid')
    log.mockRestore()
  })

  it.each(['timeout', 'network', 'http_status', 'bad_body'] as const)(
    'maps %s to wechat_unavailable',
    (kind) => {
      expect(fromWechatError(new WechatError(kind, 'userinfo', 'x')).code).toBe(
        'wechat_unavailable',
      )
    },
  )
})
