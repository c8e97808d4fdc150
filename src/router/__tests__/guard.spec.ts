import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { stateForVerifier } from '@contract'
import { browser } from '@/auth/login'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { CHROME_UA, USER, WECHAT_IOS_UA } from '@/test/fixtures'
import { installGuards, routes } from '..'

const config = vi.hoisted(() => ({
  appId: 'wxd0e1a2b3c4f5e6d7',
  authorizeUrl: 'http://127.0.0.1:8899/connect/oauth2/authorize',
  scope: 'snsapi_userinfo',
  forcePopup: false,
}))
vi.mock('@/config', () => ({ appConfig: config }))

function testRouter() {
  const router = createRouter({ history: createMemoryHistory(), routes })
  installGuards(router)
  return router
}

describe('router guard', () => {
  let replace: ReturnType<typeof vi.spyOn>

  beforeEach(() => {
    localStorage.clear()
    sessionStorage.clear()
    setActivePinia(createPinia())
    replace = vi.spyOn(browser, 'replace').mockImplementation(() => {})
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(WECHAT_IOS_UA)
    window.history.replaceState(null, '', '/')
  })

  afterEach(() => vi.restoreAllMocks())

  it('lets anyone see the home page', async () => {
    const router = testRouter()
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('home')
    expect(replace).not.toHaveBeenCalled()
  })

  it('sends an unsigned user to WeChat silently (snsapi_base), with no API call, remembering the destination', async () => {
    const requests = fakeApi({})
    const router = testRouter()
    await router.push('/profile?tab=1')
    expect(requests).toEqual([])
    expect(replace).toHaveBeenCalledTimes(1)
    const url = String(replace.mock.calls[0]?.[0])
    const pending = JSON.parse(localStorage.getItem('wx-login:pending') ?? '{}')
    expect(pending).toMatchObject({ returnTo: '/profile?tab=1', mode: 'silent' })
    expect(pending.verifier).toMatch(/^[A-Za-z0-9]{43}$/)
    // The state WeChat carries is derived from the verifier this browser keeps.
    const state = await stateForVerifier(pending.verifier)
    expect(pending.state).toBe(state)
    expect(url).toBe(
      `http://127.0.0.1:8899/connect/oauth2/authorize?appid=wxd0e1a2b3c4f5e6d7&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback&response_type=code&scope=snsapi_base&state=${state}#wechat_redirect`,
    )
    expect(router.currentRoute.value.name).not.toBe('profile')
  })

  it("shows a computer's browser the QR sign-in page instead of WeChat", async () => {
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(CHROME_UA)
    const router = testRouter()
    await router.push('/profile?tab=1')
    expect(router.currentRoute.value.name).toBe('qr-login')
    expect(router.currentRoute.value.fullPath).toBe('/login/qr?from=/profile?tab=1')
    expect(replace).not.toHaveBeenCalled()
  })

  it('sends a QR code opened outside WeChat, and WeCom, to the open-in-WeChat page', async () => {
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(CHROME_UA)
    const router = testRouter()
    await router.push('/qr/AAAAAAAAAAAAAAAAAAAAAA')
    expect(router.currentRoute.value.name).toBe('open-in-wechat')
    expect(router.currentRoute.value.query).toEqual({ from: '/qr/AAAAAAAAAAAAAAAAAAAAAA' })

    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(`${WECHAT_IOS_UA} wxwork/4.1.0`)
    await router.push('/profile')
    expect(router.currentRoute.value.name).toBe('open-in-wechat')
    expect(replace).not.toHaveBeenCalled()
  })

  it('sends WeChat opening a QR code without a session to WeChat, back to the code', async () => {
    await testRouter().push('/qr/AAAAAAAAAAAAAAAAAAAAAA')
    expect(replace).toHaveBeenCalledTimes(1)
    expect(JSON.parse(localStorage.getItem('wx-login:pending') ?? '{}').returnTo).toBe(
      '/qr/AAAAAAAAAAAAAAAAAAAAAA',
    )
  })

  it('lets a browser through to WeChat once the development escape hatch is used', async () => {
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(CHROME_UA)
    sessionStorage.setItem('wx-login:allow-browser', '1')
    await testRouter().push('/profile')
    expect(replace).toHaveBeenCalledTimes(1)
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

  it('takes no callback on an in-app visit to the sign-in page', async () => {
    const router = testRouter()
    await router.push('/')
    window.history.replaceState(null, '', '/auth/callback?code=CODE1&state=STATE1')
    await router.push('/auth/callback')
    expect(useSessionStore().callback).toBeNull()
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

  it('shows 服务暂不可用, not a blank page, when the app was built without an appid', async () => {
    config.appId = ''
    try {
      const router = testRouter()
      await router.push('/profile')
      expect(router.currentRoute.value.name).toBe('callback')
      expect(useSessionStore().failure?.code).toBe('not_configured')
      expect(replace).not.toHaveBeenCalled()
    } finally {
      config.appId = 'wxd0e1a2b3c4f5e6d7'
    }
  })
})
