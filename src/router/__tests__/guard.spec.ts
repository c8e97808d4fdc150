import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { startArrival } from '@/auth/arrival'
import { browser } from '@/auth/login'
import { savePendingLogin } from '@/auth/pending'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { USER } from '@/test/fixtures'
import { firstPageReady, installGuards, LOADING_SCREEN_AFTER_MS, routes } from '..'

const WECHAT_IOS_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'
const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36'

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

  it('shows a browser outside WeChat the open-in-WeChat page instead of WeChat', async () => {
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(CHROME_UA)
    const router = testRouter()
    await router.push('/profile?tab=1')
    expect(router.currentRoute.value.name).toBe('open-in-wechat')
    expect(router.currentRoute.value.query).toEqual({ from: '/profile?tab=1' })
    expect(replace).not.toHaveBeenCalled()
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

  it('goes straight to the destination when the page’s first script has signed in', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile?tab=2', Date.now())
    const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
    window.history.replaceState(null, '', '/auth/callback?code=CODE1&state=STATE1')
    const found = startArrival(window.location, localStorage, ['zh-CN'], Date.now())
    await found?.outcome
    const router = testRouter()
    const shown: string[] = []
    router.afterEach((to) => void shown.push(to.fullPath))
    await router.push('/auth/callback?code=CODE1&state=STATE1')
    // No 正在登录… page in between, and no code left in the URL.
    expect(shown).toEqual(['/profile?tab=2'])
    expect(useSessionStore().user).toEqual(USER)
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/auth/wechat'])
  })

  it('shows 正在登录… while the first script’s sign-in is still under way', async () => {
    savePendingLogin(localStorage, 'STATE1', '/profile', Date.now())
    let answer = (_: Response) => {}
    vi.stubGlobal('fetch', () => new Promise<Response>((resolve) => (answer = resolve)))
    window.history.replaceState(null, '', '/auth/callback?code=CODE1&state=STATE1')
    startArrival(window.location, localStorage, ['zh-CN'], Date.now())
    const router = testRouter()
    await router.push('/auth/callback?code=CODE1&state=STATE1')
    expect(router.currentRoute.value.fullPath).toBe('/auth/callback')
    expect(useSessionStore().user).toBeNull()
    // The sign-in page takes it from here (completeLogin), as without the early script.
    const destination = useSessionStore().completeLogin()
    answer(Response.json({ user: USER }))
    await expect(destination).resolves.toBe('/profile')
    expect(useSessionStore().user).toEqual(USER)
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

describe('firstPageReady (when the app mounts)', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  /** The profile's first navigation, its session check held until `answer` is called. */
  function heldProfile() {
    localStorage.setItem('wx-login:signed-in', '1')
    let answer = (_: Response) => {}
    vi.stubGlobal('fetch', () => new Promise<Response>((resolve) => (answer = resolve)))
    const router = testRouter()
    void router.push('/profile')
    return { router, answer: () => answer(Response.json({ user: USER })) }
  }

  const settled = (promise: Promise<void>) => {
    let done = false
    void promise.then(() => (done = true))
    return () => done
  }

  it('waits for a first page that is quick, so it is drawn whole', async () => {
    const { router, answer } = heldProfile()
    const isDone = settled(firstPageReady(router, '/profile'))
    await vi.advanceTimersByTimeAsync(LOADING_SCREEN_AFTER_MS / 2)
    expect(isDone()).toBe(false)
    answer()
    await vi.advanceTimersByTimeAsync(0)
    await vi.waitFor(() => expect(isDone()).toBe(true))
    expect(router.currentRoute.value.name).toBe('profile')
  })

  it('gives up waiting after a second, so a slow session check shows the loading screen', async () => {
    const { router } = heldProfile()
    const isDone = settled(firstPageReady(router, '/profile'))
    await vi.advanceTimersByTimeAsync(LOADING_SCREEN_AFTER_MS - 1)
    expect(isDone()).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(isDone()).toBe(true)
    expect(router.currentRoute.value.name).toBeUndefined()
  })

  it('on the callback page waits for the page however long: its HTML shows 正在登录…', async () => {
    const { router, answer } = heldProfile()
    const isDone = settled(firstPageReady(router, '/auth/callback'))
    await vi.advanceTimersByTimeAsync(5 * LOADING_SCREEN_AFTER_MS)
    expect(isDone()).toBe(false)
    answer()
    await vi.waitFor(() => expect(isDone()).toBe(true))
  })
})
