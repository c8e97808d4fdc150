import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LoginFailure } from '@/api/failure'
import { fakeApi } from '@/test/fake-api'
import { USER } from '@/test/fixtures'
import { arrivalSignedIn, startArrival, takeArrival } from '../arrival'
import { savePendingLogin } from '../pending'

const NOW = Date.UTC(2026, 10, 24, 4, 0, 0)
const at = (path: string) => {
  const url = new URL(path, 'https://h5.example.com')
  return { pathname: url.pathname, search: url.search }
}
const OK = { 'POST /api/auth/wechat': { status: 200, body: { user: USER } } } as const
const INVALID_CODE = {
  'POST /api/auth/wechat': {
    status: 400,
    body: { error: { code: 'invalid_code', message: 'invalid code' } },
  },
} as const
/** The callback page's first script at `path`, in a browser that speaks zh-CN. */
const arrive = (path: string) => startArrival(at(path), localStorage, ['zh-CN'], NOW)

describe('startArrival (the callback page’s first script)', () => {
  beforeEach(() => localStorage.clear())
  // Whatever a test left behind goes, unconsumed (taking it would leave a rejection unheard).
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('wechat-login:arrival')]
  })

  it('sends the code at once when the state is the one this browser issued', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile?tab=2', NOW)
    const requests = fakeApi(OK)
    arrive('/auth/callback?code=CODE1&state=STATE1')
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/api/auth/wechat',
        body: { code: 'CODE1', state: 'STATE1', lang: 'zh_CN' },
      },
    ])
    expect(localStorage.getItem('wx-login:pending')).toBeNull()
    const arrival = takeArrival()
    expect(arrival?.params).toEqual({ code: 'CODE1', state: 'STATE1' })
    expect(arrival?.pending?.returnTo).toBe('/profile?tab=2')
    await expect(arrival?.login).resolves.toEqual(USER)
    expect(takeArrival()).toBeNull()
  })

  it('names the language chosen on the page before, over the browser’s', () => {
    localStorage.setItem('wx-login:locale', 'en')
    savePendingLogin(localStorage, 'STATE1', '/profile', NOW)
    const requests = fakeApi(OK)
    startArrival(at('/auth/callback?code=CODE1&state=STATE1'), localStorage, ['zh-TW'], NOW)
    expect(requests[0]?.body).toEqual({ code: 'CODE1', state: 'STATE1', lang: 'en' })
  })

  it('sends nothing for a state it did not issue, and hands over what it took', () => {
    savePendingLogin(localStorage, 'MINE', '/profile', NOW)
    const requests = fakeApi(OK)
    arrive('/auth/callback?code=CODE1&state=THEIRS')
    expect(requests).toEqual([])
    const arrival = takeArrival()
    expect(arrival?.pending?.state).toBe('MINE')
    expect(arrival?.login).toBeNull()
  })

  it.each([
    ['no login was started here', null, '/auth/callback?code=CODE1&state=STATE1'],
    ['the user refused', 'STATE1', '/auth/callback?state=STATE1'],
    ['the pending login expired', 'EXPIRED', '/auth/callback?code=CODE1&state=EXPIRED'],
  ])('sends nothing when %s', (_, state, path) => {
    if (state === 'EXPIRED') savePendingLogin(localStorage, state, '/profile', NOW - 11 * 60_000)
    else if (state) savePendingLogin(localStorage, state, '/profile', NOW)
    const requests = fakeApi(OK)
    arrive(path)
    expect(requests).toEqual([])
    expect(takeArrival()?.login).toBeNull()
  })

  it('leaves other pages, and a callback page without a callback, alone', () => {
    savePendingLogin(localStorage, 'STATE1', '/profile', NOW)
    const requests = fakeApi(OK)
    arrive('/profile?code=CODE1&state=STATE1')
    arrive('/auth/callback')
    expect(requests).toEqual([])
    expect(takeArrival()).toBeNull()
    expect(localStorage.getItem('wx-login:pending')).not.toBeNull()
  })

  it('leaves plain data for the app, which has its own copy of this module in a build', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile', NOW)
    fakeApi({
      'POST /api/auth/wechat': {
        status: 409,
        body: { error: { code: 'code_used', message: 'code been used' } },
      },
    })
    arrive('/auth/callback?code=CODE1&state=STATE1')
    const found = (globalThis as Record<symbol, { outcome: Promise<unknown> } | undefined>)[
      Symbol.for('wechat-login:arrival')
    ]
    expect(await found?.outcome).toEqual({ ok: false, code: 'code_used', status: 409 })
  })

  it('tells the router once the sign-in has answered with a user, and only then', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile', NOW)
    fakeApi(OK)
    const found = arrive('/auth/callback?code=CODE1&state=STATE1')
    expect(arrivalSignedIn()).toBe(false)
    expect(await found?.outcome).toEqual({ ok: true, user: USER })
    expect(arrivalSignedIn()).toBe(true)
    await expect(takeArrival()?.login).resolves.toEqual(USER)
    expect(arrivalSignedIn()).toBe(false)
  })

  it('does not tell the router of a failed sign-in, nor of a callback it sent nothing for', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile', NOW)
    fakeApi(INVALID_CODE)
    const failed = arrive('/auth/callback?code=CODE1&state=STATE1')
    expect(await failed?.outcome).toEqual({ ok: false, code: 'invalid_code', status: 400 })
    expect(arrivalSignedIn()).toBe(false)
    const unsent = arrive('/auth/callback?code=CODE2&state=NOT-MINE')
    expect(unsent?.outcome).toBeNull()
    expect(arrivalSignedIn()).toBe(false)
  })

  it('hands a failed sign-in over as the API’s failure, not as an unhandled rejection', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile', NOW)
    fakeApi(INVALID_CODE)
    arrive('/auth/callback?code=CODE1&state=STATE1')
    const failure = await takeArrival()?.login?.catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(LoginFailure)
    expect([(failure as LoginFailure).code, (failure as LoginFailure).status]).toEqual([
      'invalid_code',
      400,
    ])
  })
})
