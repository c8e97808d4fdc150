import { createPinia, setActivePinia } from 'pinia'
import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  onTestFinished,
  vi,
  type MockInstance,
} from 'vitest'
import { LoginFailure } from '@/api/failure'
import { beginWechatLogin, browser } from '@/auth/login'
import { savePendingLogin } from '@/auth/pending'
import { fakeApi } from '@/test/fake-api'
import { CHROME_UA, USER, VERIFIER, WECHAT_IOS_UA } from '@/test/fixtures'
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

vi.mock('@/config', async () => ({
  appConfig: (await import('@/test/fixtures')).TEST_APP_CONFIG,
}))

describe('session store', () => {
  let replace: MockInstance<(url: string) => void>

  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    replace = vi.spyOn(browser, 'replace').mockImplementation(() => {})
  })

  afterEach(() => replace.mockRestore())

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
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile?tab=2', mode: 'consent' },
        Date.now(),
      )
      const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      expect(await store.completeLogin()).toBe('/profile?tab=2')
      expect(store.user).toEqual(USER)
      expect(requests).toEqual([
        {
          method: 'POST',
          url: '/api/auth/wechat',
          body: { code: 'CODE1', state: 'STATE1', verifier: VERIFIER },
        },
      ])
      expect(localStorage.getItem('wx-login:pending')).toBeNull()
      expect(localStorage.getItem('wx-login:signed-in')).toBe('1')
    })

    it('refuses a state this browser did not issue, without calling the API', async () => {
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'MINE', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
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
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
      const store = useSessionStore()
      store.receiveCallback({ code: null, state: 'STATE1' })
      expect((await failureOf(store.completeLogin())).code).toBe('access_denied')
      expect(store.returnTo).toBe('/profile')
    })

    it('passes on an API error a new code cannot cure', async () => {
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
      fakeApi({
        'POST /api/auth/wechat': {
          status: 503,
          body: { error: { code: 'wechat_rate_limited', message: 'wechat rate limit reached' } },
        },
      })
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      const failure = await failureOf(store.completeLogin())
      expect([failure.code, failure.status]).toEqual(['wechat_rate_limited', 503])
      expect(store.user).toBeNull()
      expect(replace).not.toHaveBeenCalled()
    })

    it.each(['invalid_code', 'code_used', 'wechat_busy'])(
      'answers %s with one fresh authorization, then with the error',
      async (code) => {
        fakeApi({
          'GET /api/session': {
            status: 401,
            body: { error: { code: 'not_signed_in', message: '' } },
          },
          'POST /api/auth/wechat': { status: 400, body: { error: { code, message: '' } } },
        })
        savePendingLogin(
          localStorage,
          { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile?x=1', mode: 'consent' },
          Date.now(),
        )
        const first = useSessionStore()
        first.receiveCallback({ code: 'CODE1', state: 'STATE1' })
        expect(await first.completeLogin()).toBeNull()
        expect(replace).toHaveBeenCalledTimes(1)
        const again = JSON.parse(localStorage.getItem('wx-login:pending') ?? '{}')
        expect(again.returnTo).toBe('/profile?x=1')

        // WeChat comes back with the second code, which fails the same way.
        setActivePinia(createPinia())
        const second = useSessionStore()
        second.receiveCallback({ code: 'CODE2', state: again.state })
        expect((await failureOf(second.completeLogin())).code).toBe(code)
        expect(replace).toHaveBeenCalledTimes(1)
      },
    )

    it('a tap on 重新登录 restores the budget for one more automatic retry', async () => {
      localStorage.setItem('wx-login:auto-retry', String(Date.now()))
      await beginWechatLogin('/profile')
      expect(localStorage.getItem('wx-login:auto-retry')).toBeNull()
    })

    it('continues a signed-in user when the same code comes back as code_used', async () => {
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
      localStorage.setItem('wx-login:signed-in', '1')
      fakeApi({
        'POST /api/auth/wechat': {
          status: 409,
          body: { error: { code: 'code_used', message: '' } },
        },
        'GET /api/session': { status: 200, body: { user: USER } },
      })
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      expect(await store.completeLogin()).toBe('/profile')
      expect(store.user).toEqual(USER)
      expect(replace).not.toHaveBeenCalled()
    })

    it('continues a signed-in user when a replayed callback finds no pending login', async () => {
      localStorage.setItem('wx-login:signed-in', '1')
      const requests = fakeApi({ 'GET /api/session': { status: 200, body: { user: USER } } })
      const store = useSessionStore()
      store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
      expect(await store.completeLogin()).toBe('/profile')
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/session'])
    })

    it('re-authorizes once when the sign-in page is reloaded without a callback', async () => {
      fakeApi({})
      expect(await useSessionStore().completeLogin()).toBeNull()
      expect(replace).toHaveBeenCalledTimes(1)
      setActivePinia(createPinia())
      expect((await failureOf(useSessionStore().completeLogin())).code).toBe('state_invalid')
      expect(replace).toHaveBeenCalledTimes(1)
    })
  })

  describe('refreshProfile', () => {
    it('replaces the profile with the one re-read', async () => {
      const requests = fakeApi({
        'POST /api/session/refresh': {
          status: 200,
          body: { user: { ...USER, nickname: '新昵称' } },
        },
      })
      const store = useSessionStore()
      store.user = USER
      expect(await store.refreshProfile('/profile')).toBe('refreshed')
      expect(store.user?.nickname).toBe('新昵称')
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/session/refresh'])
    })

    it('turns reauth_required into a fresh authorization back to the page', async () => {
      const ua = vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(WECHAT_IOS_UA)
      onTestFinished(() => ua.mockRestore())
      fakeApi({
        'POST /api/session/refresh': {
          status: 401,
          body: { error: { code: 'reauth_required', message: '' } },
        },
      })
      expect(await useSessionStore().refreshProfile('/profile')).toBe('reauthorizing')
      expect(replace).toHaveBeenCalledTimes(1)
      expect(JSON.parse(localStorage.getItem('wx-login:pending') ?? '{}').returnTo).toBe('/profile')
    })

    it("passes reauth_required on in a computer's browser, which WeChat would refuse", async () => {
      const ua = vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(CHROME_UA)
      onTestFinished(() => ua.mockRestore())
      fakeApi({
        'POST /api/session/refresh': {
          status: 401,
          body: { error: { code: 'reauth_required', message: '' } },
        },
      })
      const store = useSessionStore()
      store.user = USER
      expect((await failureOf(store.refreshProfile('/profile'))).code).toBe('reauth_required')
      expect(replace).not.toHaveBeenCalled()
      expect(store.user).toEqual(USER)
    })

    it('passes on other failures, keeping the profile shown', async () => {
      fakeApi({
        'POST /api/session/refresh': {
          status: 502,
          body: { error: { code: 'wechat_unavailable', message: '' } },
        },
      })
      const store = useSessionStore()
      store.user = USER
      expect((await failureOf(store.refreshProfile('/profile'))).code).toBe('wechat_unavailable')
      expect(store.user).toEqual(USER)
      expect(replace).not.toHaveBeenCalled()
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
