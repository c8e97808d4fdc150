import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { browser } from '@/auth/login'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { USER } from '@/test/fixtures'
import { installGuards, routes } from '..'

vi.mock('@/config', () => ({
  appConfig: {
    appId: 'wxd0e1a2b3c4f5e6d7',
    authorizeUrl: 'http://127.0.0.1:8899/connect/oauth2/authorize',
    scope: 'snsapi_userinfo',
    forcePopup: false,
  },
}))

function testRouter() {
  const router = createRouter({ history: createMemoryHistory(), routes })
  installGuards(router)
  return router
}

describe('router guard', () => {
  let replace: ReturnType<typeof vi.spyOn>

  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    replace = vi.spyOn(browser, 'replace').mockImplementation(() => {})
    window.history.replaceState(null, '', '/')
  })

  afterEach(() => replace.mockRestore())

  it('lets anyone see the home page', async () => {
    const router = testRouter()
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('home')
    expect(replace).not.toHaveBeenCalled()
  })

  it('sends an unsigned user to WeChat with no API call, remembering the destination', async () => {
    const requests = fakeApi({})
    const router = testRouter()
    await router.push('/profile?tab=1')
    expect(requests).toEqual([])
    expect(replace).toHaveBeenCalledTimes(1)
    const url = String(replace.mock.calls[0]?.[0])
    const state = /&state=([A-Za-z0-9]{32})#wechat_redirect$/.exec(url)?.[1]
    expect(url).toBe(
      `http://127.0.0.1:8899/connect/oauth2/authorize?appid=wxd0e1a2b3c4f5e6d7&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback&response_type=code&scope=snsapi_userinfo&state=${state}#wechat_redirect`,
    )
    expect(JSON.parse(localStorage.getItem('wx-login:pending') ?? '{}')).toMatchObject({
      state,
      returnTo: '/profile?tab=1',
    })
    expect(router.currentRoute.value.name).not.toBe('profile')
  })

  it('lets a signed-in user through after one GET /api/session', async () => {
    localStorage.setItem('wx-login:signed-in', '1')
    const requests = fakeApi({ 'GET /api/session': { status: 200, body: { user: USER } } })
    const router = testRouter()
    await router.push('/profile')
    expect(router.currentRoute.value.name).toBe('profile')
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/session'])
    expect(replace).not.toHaveBeenCalled()
  })

  it('takes code and state from location.search and removes them from the URL', async () => {
    window.history.replaceState(null, '', '/auth/callback?code=CODE1&state=STATE1')
    const router = testRouter()
    await router.push('/auth/callback?code=CODE1&state=STATE1')
    expect(useSessionStore().callback).toEqual({ code: 'CODE1', state: 'STATE1' })
    expect(router.currentRoute.value.fullPath).toBe('/auth/callback')
  })

  it('shows the sign-in page with the failure when the session check fails', async () => {
    localStorage.setItem('wx-login:signed-in', '1')
    fakeApi({ 'GET /api/session': 'network-error' })
    const router = testRouter()
    await router.push('/profile')
    expect(router.currentRoute.value.name).toBe('callback')
    expect(useSessionStore().failure?.code).toBe('network_error')
    expect(replace).not.toHaveBeenCalled()
  })

  it('sets the document title from the route', async () => {
    const router = testRouter()
    await router.push('/')
    expect(document.title).toBe('微信登录')
  })
})
