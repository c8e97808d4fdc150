import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, onTestFinished, vi, type MockInstance } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { browser } from '@/auth/login'
import { savePendingLogin, type PendingLogin } from '@/auth/pending'
import { routes } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { USER, VERIFIER, WECHAT_IOS_UA } from '@/test/fixtures'
import HomeView from '../HomeView.vue'
import WelcomeView from '../WelcomeView.vue'

/**
 * Silent sign-in (wechat-behaviour.md §7): snsapi_base first, the consent sheet only on a
 * person's own tap, and at once after a tap for someone new.
 */
const config = vi.hoisted(() => ({
  appConfig: {
    appId: 'wxd0e1a2b3c4f5e6d7',
    authorizeUrl: 'http://127.0.0.1:8899/connect/oauth2/authorize',
    scope: 'snsapi_userinfo' as 'snsapi_userinfo' | 'snsapi_base',
    forcePopup: false,
  },
}))
vi.mock('@/config', () => config)

const AUTHORIZE = 'http://127.0.0.1:8899/connect/oauth2/authorize?appid=wxd0e1a2b3c4f5e6d7'
const PROFILE_REQUIRED = {
  status: 422,
  body: { error: { code: 'profile_required', message: 'no stored profile for this openid' } },
}

function pending(mode: PendingLogin['mode'], returnTo = '/profile') {
  savePendingLogin(
    localStorage,
    { verifier: VERIFIER, state: 'STATE1', returnTo, mode },
    Date.now(),
  )
}

function saved() {
  return JSON.parse(localStorage.getItem('wx-login:pending') ?? '{}') as Partial<PendingLogin>
}

function scopeOf(url: unknown) {
  return new URL(String(url)).searchParams.get('scope')
}

async function mountAt(component: object, path: string) {
  const router = createRouter({ history: createMemoryHistory(), routes })
  await router.push(path)
  const wrapper = mount(component, { global: { plugins: [router] } })
  await flushPromises()
  return { wrapper, router }
}

describe('silent sign-in', () => {
  let replace: MockInstance<(url: string) => void>

  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    config.appConfig.scope = 'snsapi_userinfo'
    replace = vi.spyOn(browser, 'replace').mockImplementation(() => {})
    const ua = vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(WECHAT_IOS_UA)
    onTestFinished(() => {
      ua.mockRestore()
      replace.mockRestore()
    })
  })

  it('tells the server a silent code is silent and signs a known person in', async () => {
    pending('silent', '/profile?tab=1')
    const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
    const store = useSessionStore()
    store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
    expect(await store.completeLogin()).toBe('/profile?tab=1')
    expect(store.user).toEqual(USER)
    expect(requests.map((r) => r.body)).toEqual([
      { code: 'CODE1', state: 'STATE1', verifier: VERIFIER, silent: true },
    ])
    expect(replace).not.toHaveBeenCalled()
  })

  it('shows someone new, back from a page that opened by itself, what the profile is for', async () => {
    pending('silent', '/profile?tab=1')
    fakeApi({ 'POST /api/auth/wechat': PROFILE_REQUIRED })
    const store = useSessionStore()
    store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
    expect(await store.completeLogin()).toBe('/welcome?from=%2Fprofile%3Ftab%3D1')
    expect(store.user).toBeNull()
    // No consent sheet on opening.
    expect(replace).not.toHaveBeenCalled()
  })

  it('sends someone new after a tap on to the consent sheet at once', async () => {
    pending('tap')
    fakeApi({ 'POST /api/auth/wechat': PROFILE_REQUIRED })
    const store = useSessionStore()
    store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
    expect(await store.completeLogin()).toBeNull()
    expect(replace).toHaveBeenCalledTimes(1)
    expect(String(replace.mock.calls[0]?.[0])).toContain(AUTHORIZE)
    expect(scopeOf(replace.mock.calls[0]?.[0])).toBe('snsapi_userinfo')
    expect(saved()).toMatchObject({ mode: 'consent', returnTo: '/profile' })
  })

  it('sends a consented code without the silent flag', async () => {
    pending('consent')
    const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
    const store = useSessionStore()
    store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
    await store.completeLogin()
    expect(requests[0]?.body).toEqual({
      code: 'CODE1',
      state: 'STATE1',
      verifier: VERIFIER,
    })
  })

  it('with WECHAT_SCOPE=snsapi_base asks for the openid only, never silently', async () => {
    config.appConfig.scope = 'snsapi_base'
    await useSessionStore().signInWithProfile('/profile')
    expect(scopeOf(replace.mock.calls[0]?.[0])).toBe('snsapi_base')
    pending('silent')
    const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
    const store = useSessionStore()
    store.receiveCallback({ code: 'CODE1', state: 'STATE1' })
    await store.completeLogin()
    expect(requests[0]?.body).not.toHaveProperty('silent')
  })

  it('HomeView: 微信授权登录 tries snsapi_base first, as a tap', async () => {
    const requests = fakeApi({})
    const { wrapper } = await mountAt(HomeView, '/')
    const link = wrapper.get('a.weui-btn_primary')
    expect(link.text()).toBe('微信授权登录')
    expect(link.attributes('href')).toBe('/profile')
    await link.trigger('click')
    await vi.waitFor(() => expect(replace).toHaveBeenCalledTimes(1))
    // Not believed signed in: no API call before WeChat.
    expect(requests).toEqual([])
    expect(scopeOf(replace.mock.calls[0]?.[0])).toBe('snsapi_base')
    expect(saved()).toMatchObject({ mode: 'tap', returnTo: '/profile' })
  })

  it('HomeView: a signed-in user just goes to the profile', async () => {
    localStorage.setItem('wx-login:signed-in', '1')
    fakeApi({ 'GET /api/session': { status: 200, body: { user: USER } } })
    const { wrapper, router } = await mountAt(HomeView, '/')
    await wrapper.get('a.weui-btn_primary').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.name).toBe('profile')
    expect(replace).not.toHaveBeenCalled()
  })

  it('WelcomeView says what the profile is for, and only its button asks for consent', async () => {
    const { wrapper } = await mountAt(WelcomeView, '/welcome?from=/profile%3Ftab%3D1')
    expect(wrapper.get('h1').text()).toBe('使用微信头像昵称')
    expect(wrapper.text()).toContain('不会获取你的好友或聊天信息')
    expect(replace).not.toHaveBeenCalled()
    const button = wrapper.get('[data-testid=use-profile]')
    expect(button.text()).toBe('使用微信头像昵称')
    await button.trigger('click')
    await vi.waitFor(() => expect(replace).toHaveBeenCalledTimes(1))
    expect(scopeOf(replace.mock.calls[0]?.[0])).toBe('snsapi_userinfo')
    expect(saved()).toMatchObject({ mode: 'consent', returnTo: '/profile?tab=1' })
  })

  it('WelcomeView keeps an unsafe destination out', async () => {
    const { wrapper } = await mountAt(WelcomeView, '/welcome?from=//evil.example')
    await wrapper.get('[data-testid=use-profile]').trigger('click')
    await vi.waitFor(() => expect(replace).toHaveBeenCalledTimes(1))
    expect(saved().returnTo).toBe('/profile')
  })
})
