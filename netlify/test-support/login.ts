import { stateForVerifier, type LoginRequest } from '../../contract/index.ts'

/** A verifier as the SPA makes one (43 letters and digits), and the state made from it. */
export const TEST_VERIFIER = 'TestVerifier0123456789abcdefghijABCDEFGHIJK'
export const TEST_STATE = await stateForVerifier(TEST_VERIFIER)

/** The body of `POST /api/auth/wechat` from the browser that asked for `code`. */
export function loginBody(code: string, fields: Partial<LoginRequest> = {}): string {
  return JSON.stringify({ code, state: TEST_STATE, verifier: TEST_VERIFIER, ...fields })
}

/** `POST /api/auth/wechat` from the browser that asked for `code`. */
export function loginRequest(
  code: string,
  fields: Partial<LoginRequest> = {},
  url = 'https://app.example/api/auth/wechat',
): Request {
  return new Request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: loginBody(code, fields),
  })
}
