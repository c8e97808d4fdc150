import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { LoginFailure } from '@/api/failure'
import { savePendingLogin } from '@/auth/pending'
import { chooseLocale, locale } from '@/locales'
import { installGuards, routes } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { USER, VERIFIER } from '@/test/fixtures'
import App from '@/App.vue'
import SignInView from '../SignInView.vue'

vi.mock('@/config', async () => ({
  appConfig: (await import('@/test/fixtures')).TEST_APP_CONFIG,
}))

async function mountApp(path: string) {
  const router = createRouter({ history: createMemoryHistory(), routes })
  installGuards(router)
  const wrapper = mount(App, { global: { plugins: [router] } })
  await router.push(path)
  await flushPromises()
  return { wrapper, router }
}

describe('languages', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  afterEach(() => {
    locale.value = null
  })

  it('switches the page, its title and <html lang> from the footer, and remembers', async () => {
    const { wrapper } = await mountApp('/')
    expect(wrapper.get('h1').text()).toBe('微信登录')
    expect(document.title).toBe('微信登录')
    const buttons = () => wrapper.findAll('footer nav button')
    // Marked for screen readers where the page's voice would misread the name.
    const marks = () => buttons().map((b) => `${b.text()}:${b.attributes('lang') ?? '-'}`)
    expect(marks()).toEqual(['简体:-', '繁體:-', 'English:en'])
    const english = buttons()[2]!
    expect(english.attributes('aria-pressed')).toBe('false')

    await english.trigger('click')
    // English is fetched on demand (a chunk of its own in a build).
    await vi.waitFor(() => expect(wrapper.get('h1').text()).toBe('WeChat sign-in'))
    expect(wrapper.get('a.weui-btn_primary').text()).toBe('Sign in with WeChat')
    expect(document.title).toBe('WeChat sign-in')
    expect(document.documentElement.lang).toBe('en')
    expect(english.attributes('aria-pressed')).toBe('true')
    expect(localStorage.getItem('wx-login:locale')).toBe('en')
    expect(marks()).toEqual(['简体:zh-CN', '繁體:zh-TW', 'English:-'])

    await buttons()[1]!.trigger('click')
    await vi.waitFor(() => expect(wrapper.get('h1').text()).toBe('微信登入'))
    expect(document.title).toBe('微信登入')
  })

  it('titles an error page with its error, in the chosen language', async () => {
    useSessionStore().fail(new LoginFailure('misconfigured', 500), '/profile')
    const { wrapper } = await mountApp('/auth/callback')
    expect(wrapper.get('h1').text()).toBe('服务配置有误')
    expect(document.title).toBe('服务配置有误')

    await chooseLocale('en')
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('Service misconfigured')
    expect(wrapper.get('[data-testid=error-message]').text()).toBe(
      'Signing in is not possible right now. Please contact the Official Account’s administrator.',
    )
    expect(document.title).toBe('Service misconfigured')
  })

  it('goes back to the route title when the error page is left', async () => {
    useSessionStore().fail(new LoginFailure('internal', 500), '/profile')
    const { wrapper, router } = await mountApp('/auth/callback')
    expect(document.title).toBe('出错了')
    await wrapper.get('a.weui-btn_default').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.name).toBe('home')
    expect(document.title).toBe('微信登录')
  })

  it('asks WeChat for the profile in the page language', async () => {
    await chooseLocale('zh-TW')
    savePendingLogin(
      localStorage,
      { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
      Date.now(),
    )
    useSessionStore().receiveCallback({ code: 'CODE1', state: 'STATE1' })
    const requests = fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
    const router = createRouter({ history: createMemoryHistory(), routes })
    await router.push('/auth/callback')
    mount(SignInView, { global: { plugins: [router] } })
    await flushPromises()
    expect(requests[0]?.body).toEqual({
      code: 'CODE1',
      state: 'STATE1',
      verifier: VERIFIER,
      lang: 'zh_TW',
    })
  })
})
