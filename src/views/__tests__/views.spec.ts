import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { browser } from '@/auth/login'
import { savePendingLogin } from '@/auth/pending'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { USER, VERIFIER, WECHAT_IOS_UA } from '@/test/fixtures'
import { routes } from '@/router'
import HomeView from '../HomeView.vue'
import ProfileView from '../ProfileView.vue'
import SignInView from '../SignInView.vue'

vi.mock('@/config', async () => ({
  appConfig: (await import('@/test/fixtures')).TEST_APP_CONFIG,
}))

async function mountAt(component: object, path: string) {
  const router = createRouter({ history: createMemoryHistory(), routes })
  await router.push(path)
  const wrapper = mount(component, { global: { plugins: [router] } })
  return { wrapper, router }
}

describe('views', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('HomeView offers 微信授权登录 leading to the profile', async () => {
    const { wrapper } = await mountAt(HomeView, '/')
    const link = wrapper.get('a.weui-btn_primary')
    expect(link.text()).toBe('微信授权登录')
    expect(link.attributes('href')).toBe('/profile')
    expect(wrapper.get('h1').text()).toBe('微信登录')
  })

  describe('ProfileView', () => {
    it("shows the site's copy of the avatar, the nickname and ids", async () => {
      useSessionStore().user = USER
      const { wrapper } = await mountAt(ProfileView, '/profile')
      expect(wrapper.get('[data-testid=nickname]').text()).toBe('🌸✨小仙女')
      const img = wrapper.get('img.avatar')
      expect(img.attributes('src')).toBe(USER.avatar)
      expect(img.attributes('alt')).toBe('🌸✨小仙女的头像')
      expect(wrapper.get('[data-testid=openid]').text()).toBe(USER.openid)
      expect(wrapper.get('[data-testid=unionid]').text()).toBe(USER.unionid)
    })

    it('says what WeChat left blank and shows no unionid row without one', async () => {
      // No avatar: no `avatar`, and the placeholder.
      const { unionid: _omit, avatar: _none, ...noUnion } = USER
      useSessionStore().user = { ...noUnion, headimgurl: '' }
      const { wrapper } = await mountAt(ProfileView, '/profile')
      const cells = wrapper.findAll('.weui-cell').map((c) => c.text())
      expect(cells).toContain('性别微信未提供')
      expect(cells).toContain('地区微信未提供')
      expect(cells).toContain('特权无')
      expect(wrapper.find('[data-testid=unionid]').exists()).toBe(false)
      expect(wrapper.find('img').exists()).toBe(false)
      expect(wrapper.get('svg.avatar-placeholder').attributes('aria-label')).toBe(
        '🌸✨小仙女的头像',
      )
    })

    it('shows sex and region when WeChat provides them', async () => {
      useSessionStore().user = {
        ...USER,
        sex: 2,
        country: '中国',
        province: '广东',
        city: '深圳',
        privilege: ['chinaunicom'],
      }
      const { wrapper } = await mountAt(ProfileView, '/profile')
      const cells = wrapper.findAll('.weui-cell').map((c) => c.text())
      expect(cells).toEqual(
        expect.arrayContaining(['性别女', '地区中国 广东 深圳', '特权chinaunicom']),
      )
    })

    it('renders an HTML nickname as text', async () => {
      useSessionStore().user = { ...USER, nickname: '<img src=x onerror=alert(1)>' }
      const { wrapper } = await mountAt(ProfileView, '/profile')
      expect(wrapper.get('[data-testid=nickname]').text()).toBe('<img src=x onerror=alert(1)>')
      expect(wrapper.findAll('img')).toHaveLength(1)
    })

    it('signs out with DELETE /api/session and goes home', async () => {
      useSessionStore().user = USER
      const requests = fakeApi({ 'DELETE /api/session': { status: 204 } })
      const { wrapper, router } = await mountAt(ProfileView, '/profile')
      await wrapper.get('button.weui-btn_default').trigger('click')
      await flushPromises()
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /api/session'])
      expect(router.currentRoute.value.name).toBe('home')
    })

    it('退出所有设备 ends every session with DELETE /api/sessions and goes home', async () => {
      useSessionStore().user = USER
      localStorage.setItem('wx-login:signed-in', '1')
      const requests = fakeApi({ 'DELETE /api/sessions': { status: 204 } })
      const { wrapper, router } = await mountAt(ProfileView, '/profile')
      const button = wrapper.get('[data-testid=sign-out-everywhere]')
      expect(button.text()).toBe('退出所有设备')
      await button.trigger('click')
      await flushPromises()
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /api/sessions'])
      expect(router.currentRoute.value.name).toBe('home')
      expect(useSessionStore().user).toBeNull()
      expect(localStorage.getItem('wx-login:signed-in')).toBeNull()
    })

    it('刷新资料 re-reads the profile and says so', async () => {
      useSessionStore().user = USER
      const requests = fakeApi({
        'POST /api/session/refresh': {
          status: 200,
          body: { user: { ...USER, nickname: '新昵称' } },
        },
      })
      const { wrapper } = await mountAt(ProfileView, '/profile')
      const button = wrapper.get('button.weui-btn_primary')
      expect(button.text()).toBe('刷新资料')
      await button.trigger('click')
      await flushPromises()
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/session/refresh'])
      expect(wrapper.get('[data-testid=nickname]').text()).toBe('新昵称')
      expect(wrapper.get('[data-testid=refresh-note]').text()).toBe('资料已更新')
    })

    it('刷新资料 says it is leaving for WeChat when the grant is gone, never 资料已更新', async () => {
      const ua = vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(WECHAT_IOS_UA)
      onTestFinished(() => ua.mockRestore())
      useSessionStore().user = USER
      const replace = vi.spyOn(browser, 'replace').mockImplementation(() => {})
      fakeApi({
        'POST /api/session/refresh': {
          status: 401,
          body: { error: { code: 'reauth_required', message: 'no usable wechat grant is stored' } },
        },
      })
      const { wrapper } = await mountAt(ProfileView, '/profile')
      const button = wrapper.get('button.weui-btn_primary')
      await button.trigger('click')
      await flushPromises()
      await vi.waitFor(() => expect(replace).toHaveBeenCalledTimes(1))
      await flushPromises()
      expect(String(replace.mock.calls[0]?.[0])).toMatch(
        /^http:\/\/127\.0\.0\.1:8899\/connect\/oauth2\/authorize\?/,
      )
      expect(wrapper.get('[data-testid=refresh-note]').text()).toBe(
        '授权已过期，正在前往微信重新授权…',
      )
      // The page is leaving: no second tap meanwhile.
      expect(button.attributes('disabled')).toBeDefined()
      replace.mockRestore()
    })

    it('刷新资料 explains a failure and keeps the profile', async () => {
      useSessionStore().user = USER
      fakeApi({
        'POST /api/session/refresh': {
          status: 502,
          body: { error: { code: 'wechat_unavailable', message: 'wechat did not answer' } },
        },
      })
      const { wrapper } = await mountAt(ProfileView, '/profile')
      await wrapper.get('button.weui-btn_primary').trigger('click')
      await flushPromises()
      expect(wrapper.get('[data-testid=refresh-note]').text()).toBe(
        '暂时无法连接微信服务器，请稍后重试。',
      )
      expect(wrapper.get('[data-testid=nickname]').text()).toBe(USER.nickname)
    })
  })

  describe('SignInView', () => {
    it('shows 正在登录… while the code is exchanged, then goes where the user was going', async () => {
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
      useSessionStore().receiveCallback({ code: 'CODE1', state: 'STATE1' })
      fakeApi({ 'POST /api/auth/wechat': { status: 200, body: { user: USER } } })
      const { wrapper, router } = await mountAt(SignInView, '/auth/callback')
      expect(wrapper.get('h1').text()).toBe('正在登录…')
      await flushPromises()
      expect(router.currentRoute.value.fullPath).toBe('/profile')
    })

    it('explains a refusal and retries through WeChat on 重新登录', async () => {
      const replace = vi.spyOn(browser, 'replace').mockImplementation(() => {})
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
      useSessionStore().receiveCallback({ code: null, state: 'STATE1' })
      const { wrapper } = await mountAt(SignInView, '/auth/callback')
      await flushPromises()
      expect(wrapper.get('h1').text()).toBe('你已拒绝授权')
      expect(wrapper.get('[data-testid=error-message]').text()).toBe(
        '查看资料需要获取你的微信昵称和头像。如需继续，请重新授权并点击「允许」。',
      )
      expect(replace).not.toHaveBeenCalled()
      await wrapper.get('button.weui-btn_primary').trigger('click')
      await flushPromises()
      await vi.waitFor(() => expect(replace).toHaveBeenCalledTimes(1))
      await flushPromises()
      expect(String(replace.mock.calls[0]?.[0])).toMatch(
        /^http:\/\/127\.0\.0\.1:8899\/connect\/oauth2\/authorize\?appid=wxd0e1a2b3c4f5e6d7&/,
      )
      replace.mockRestore()
    })

    it('shows the server error page for misconfiguration, with no retry', async () => {
      savePendingLogin(
        localStorage,
        { verifier: VERIFIER, state: 'STATE1', returnTo: '/profile', mode: 'consent' },
        Date.now(),
      )
      useSessionStore().receiveCallback({ code: 'CODE1', state: 'STATE1' })
      fakeApi({
        'POST /api/auth/wechat': {
          status: 500,
          body: { error: { code: 'misconfigured', message: 'the service is misconfigured' } },
        },
      })
      const { wrapper } = await mountAt(SignInView, '/auth/callback')
      await flushPromises()
      expect(wrapper.get('h1').text()).toBe('服务配置有误')
      expect(wrapper.find('button.weui-btn_primary').exists()).toBe(false)
      expect(wrapper.text()).toContain('如问题持续，请联系公众号管理员。')
    })
  })
})
