import type { ErrorBody, LoginErrorCode } from '@contract'

/** A failed sign-in step, with the contract's code; the UI turns the code into words. */
export class LoginFailure extends Error {
  readonly code: LoginErrorCode
  readonly status?: number

  constructor(code: LoginErrorCode, status?: number) {
    super(code)
    this.name = 'LoginFailure'
    this.code = code
    this.status = status
  }
}

/** The failure an API error answer stands for; a body without our shape is `internal`. */
export function failureOf(status: number, body: unknown): LoginFailure {
  const code = (body as Partial<ErrorBody> | null | undefined)?.error?.code
  return new LoginFailure(code ?? 'internal', status)
}
