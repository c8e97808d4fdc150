import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { LoginFailure } from '@/api'
import { savePendingLogin } from '@/auth/pending'
import { fakeApi } from '@/test/fake-api'
import { USER } from '@/test/fixtures'
import { useSessionStore } from '../session'

async function failureOf(promise: Promise<unknown>): Promise<LoginFailure> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof LoginFailure))
    throw new Error(`expected LoginFailure, got ${String(error)}`)
  return error
}

describe('session store', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  describe('restore', () => {
    it('asks nothing when this browser never signed in', async () => {
      const requests = fakeApi({})
      expect(await useSessionStore().restore()).toBeNull()
      expect(requests).toEqual([])
    })

    it('asks GET /api/session once when a session is believed to exist', async () => {
      localStorage.setItem('wx-login:signed-in', '1')
      const requests = fakeApi({ 'GET /api/session': { status: 200, body: { user: USER } } })
      const store = useSessionStore()
      expect(await store.restore()).toEqual(USER)
      expect(await store.restore()).toEqual(USER)
      expect(requests).toEqual([{ method: 'GET', url: '/api/session', body: undefined }])
    })

    it('forgets the hint on 401', async () => {
      localStorage.setItem('wx-login:signed-in', '1')
      fakeApi({
        'GET /api/session': {
          status: 401,
          body: { error: { code: 'not_signed_in', message: 'not signed in' } },
        },
      })
      expect(await useSessionStore().restore()).toBeNull()
      expect(localStorage.getItem('wx-login:signed-in')).toBeNull()
    })

    it('throws network_error when the API cannot be reached', async () => {
      localStorage.setItem('wx-login:signed-in', '1')
      fakeApi({ 'GET /api/session': 'network-error' })
      expect((await failureOf(useSessionStore().restore())).code).toBe('network_error')
    })
  })

  describe('completeLogin', () => {
    it('posts code and state once and resolves to where the user was going', async () => {
      savePendingLogin(localStorage, 'STATE1', '/profile?tab=2', Date.now())
      const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      expect(await store.completeLogin()).toBe('/profile?tab=2')
      expect(store.user).toEqual(USER)
      expect(requests).toEqual([
        { method: 'POST', url: '/api/auth/wechat', body: { code: 'CODE1', state: 'STATE1' } },
      ])
      expect(localStorage.getItem('wx-login:pending')).toBeNull()
      expect(localStorage.getItem('wx-login:signed-in')).toBe('1')
    })

    it('refuses a state this browser did not issue, without calling the API', async () => {
      savePendingLogin(localStorage, 'MINE', '/profile', Date.now())
      const requests = fakeApi({})
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'THEIRS' })
      expect((await failureOf(store.completeLogin())).code).toBe('state_invalid')
      expect(requests).toEqual([])
    })

    it('refuses a callback when no login was started here', async () => {
      const store = useSessionStore()
      fakeApi({})
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      expect((await failureOf(store.completeLogin())).code).toBe('state_invalid')
    })

    it('reports access_denied when the user refused, keeping the destination for a retry', async () => {
      savePendingLogin(localStorage, 'STATE1', '/profile', Date.now())
      const store = useSessionStore()
      store.receiveCallback({ code: null, state: 'STATE1' })
      expect((await failureOf(store.completeLogin())).code).toBe('access_denied')
      expect(store.returnTo).toBe('/profile')
    })

    it('passes on the API error code', async () => {
      savePendingLogin(localStorage, 'STATE1', '/profile', Date.now())
      fakeApi({
        'POST /api/auth/wechat': {
          status: 400,
          body: { error: { code: 'invalid_code', message: 'the code is invalid or expired' } },
        },
      })
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      const failure = await failureOf(store.completeLogin())
      expect([failure.code, failure.status]).toEqual(['invalid_code', 400])
      expect(store.user).toBeNull()
    })
  })

  it('signOut calls DELETE /api/session and forgets the user even if it fails', async () => {
    const store = useSessionStore()
    localStorage.setItem('wx-login:signed-in', '1')
    store.user = USER
    const requests = fakeApi({ 'DELETE /api/session': 'network-error' })
    await expect(store.signOut()).rejects.toBeInstanceOf(LoginFailure)
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /api/session'])
    expect(store.user).toBeNull()
    expect(localStorage.getItem('wx-login:signed-in')).toBeNull()
  })
})
