import { beforeEach, describe, expect, it } from 'vitest'
import { PENDING_TTL_MS, savePendingLogin, takePendingLogin } from '../pending'

describe('pending login', () => {
  beforeEach(() => localStorage.clear())

  it('is read once, then gone', () => {
    savePendingLogin(localStorage, 'STATE', '/profile', 1000)
    expect(takePendingLogin(localStorage, 2000)).toEqual({
      state: 'STATE',
      returnTo: '/profile',
      expiresAt: 1000 + PENDING_TTL_MS,
    })
    expect(takePendingLogin(localStorage, 2000)).toBeNull()
  })

  it('expires after ten minutes and is removed anyway', () => {
    savePendingLogin(localStorage, 'STATE', '/profile', 0)
    expect(takePendingLogin(localStorage, PENDING_TTL_MS)).toBeNull()
    expect(localStorage.length).toBe(0)
  })

  it('ignores a corrupt record', () => {
    localStorage.setItem('wx-login:pending', '{not json')
    expect(takePendingLogin(localStorage, 0)).toBeNull()
    localStorage.setItem('wx-login:pending', '{"state":1,"returnTo":"/","expiresAt":99}')
    expect(takePendingLogin(localStorage, 0)).toBeNull()
  })
})
