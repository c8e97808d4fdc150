import { beforeEach, describe, expect, it } from 'vitest'
import { VERIFIER } from '@/test/fixtures'
import { PENDING_TTL_MS, savePendingLogin, takePendingLogin } from '../pending'

describe('pending login', () => {
  beforeEach(() => localStorage.clear())

  it('is read once, then gone', () => {
    savePendingLogin(
      localStorage,
      { verifier: VERIFIER, state: 'STATE', returnTo: '/profile', mode: 'consent' },
      1000,
    )
    expect(takePendingLogin(localStorage, 2000)).toEqual({
      verifier: VERIFIER,
      state: 'STATE',
      returnTo: '/profile',
      mode: 'consent',
      expiresAt: 1000 + PENDING_TTL_MS,
    })
    expect(takePendingLogin(localStorage, 2000)).toBeNull()
  })

  it('refuses a record without a known mode', () => {
    localStorage.setItem(
      'wx-login:pending',
      JSON.stringify({
        verifier: VERIFIER,
        state: 'STATE',
        returnTo: '/profile',
        mode: 'loud',
        expiresAt: PENDING_TTL_MS,
      }),
    )
    expect(takePendingLogin(localStorage, 0)).toBeNull()
  })

  it('expires after ten minutes and is removed anyway', () => {
    savePendingLogin(
      localStorage,
      { verifier: VERIFIER, state: 'STATE', returnTo: '/profile', mode: 'consent' },
      0,
    )
    expect(takePendingLogin(localStorage, PENDING_TTL_MS)).toBeNull()
    expect(localStorage.length).toBe(0)
  })

  it('ignores a corrupt record', () => {
    localStorage.setItem('wx-login:pending', '{not json')
    expect(takePendingLogin(localStorage, 0)).toBeNull()
    localStorage.setItem('wx-login:pending', '{"state":1,"returnTo":"/","expiresAt":99}')
    expect(takePendingLogin(localStorage, 0)).toBeNull()
    // Saved before logins carried a verifier: unusable, since the server asks for it.
    localStorage.setItem('wx-login:pending', '{"state":"S","returnTo":"/","expiresAt":99}')
    expect(takePendingLogin(localStorage, 0)).toBeNull()
  })
})
