import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { QrLoginScan, SignedInComputer } from '@contract'
import SignedInComputers from '@/components/SignedInComputers.vue'
import { POLL_INTERVAL_MS } from '@/composables/useQrLogin'
import { routes } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { USER, WECHAT_IOS_UA } from '@/test/fixtures'
// Loaded up front so the view's lazy imports resolve within flushPromises.
import 'qrcode'
import ProfileView from '../ProfileView.vue'
import QrConfirmView from '../QrConfirmView.vue'
import QrLoginView from '../QrLoginView.vue'

vi.mock('@/config', async () => ({
  appConfig: {
    ...(await import('@/test/fixtures')).TEST_APP_CONFIG,
    authorizeUrl: 'https://open.weixin.qq.com/connect/oauth2/authorize',
  },
}))

// A failed test must not leave a view polling into the next one.
enableAutoUnmount(afterEach)

const ID = 'AbCdEfGhIjKlMnOpQrStUv'
const CREATED = {
  id: ID,
  url: `http://localhost:3000/qr/${ID}`,
  expiresAt: '2026-12-02T06:02:00.000Z',
  expiresIn: 120,
}
const POLL = `GET /api/qr-login/${ID}`

async function mountAt(component: object, path: string) {
  const router = createRouter({ history: createMemoryHistory(), routes })
  await router.push(path)
  const wrapper = mount(component, { global: { plugins: [router] } })
  await flushPromises()
  return { wrapper, router }
}

function calls(requests: { method: string; url: string }[]) {
  return requests.map((r) => `${r.method} ${r.url}`)
}

function setHidden(hidden: boolean) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden })
  document.dispatchEvent(new Event('visibilitychange'))
}

describe('QrLoginView (the computer)', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    })
    vi.setSystemTime(new Date('2026-12-02T06:00:00.000Z'))
    setHidden(false)
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('shows the code of its request, counts down, and follows the phone to the profile', async () => {
    const table: Parameters<typeof fakeApi>[0] = {
      'POST /api/qr-login': { status: 201, body: CREATED },
      [POLL]: { status: 200, body: { status: 'waiting' } },
    }
    const requests = fakeApi(table)
    const { wrapper, router } = await mountAt(QrLoginView, '/login/qr?from=/profile')
    await vi.waitFor(() => expect(wrapper.find('[data-testid=qr] img').exists()).toBe(true))
    const img = wrapper.get('[data-testid=qr] img')
    expect(img.attributes('data-url')).toBe(CREATED.url)
    expect(img.attributes('src')).toMatch(/^data:image\/svg\+xml,/)
    expect(wrapper.get('[data-testid=qr-status]').text()).toBe('微信扫码登录')
    expect(wrapper.get('[data-testid=qr-time]').text()).toBe('120 秒后失效')
    // The link is printed only against the emulator, for a developer without a phone.
    expect(wrapper.find('[data-testid=qr-dev-url]').exists()).toBe(false)

    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS)
    expect(calls(requests)).toEqual(['POST /api/qr-login', POLL])
    expect(wrapper.get('[data-testid=qr-time]').text()).toBe('118 秒后失效')

    table[POLL] = { status: 200, body: { status: 'scanned' } }
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS)
    expect(wrapper.get('[data-testid=qr-status]').text()).toBe('扫码成功')
    expect(wrapper.text()).toContain('请在手机微信中确认登录')

    table[POLL] = { status: 200, body: { status: 'confirmed', user: USER } }
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS)
    await flushPromises()
    expect(useSessionStore().user).toEqual(USER)
    expect(router.currentRoute.value.fullPath).toBe('/profile')

    // Done: no more questions.
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5)
    expect(calls(requests)).toEqual(['POST /api/qr-login', POLL, POLL, POLL])
  })

  it('says a cancelled or expired code so, and offers a new one with one click', async () => {
    const table: Parameters<typeof fakeApi>[0] = {
      'POST /api/qr-login': { status: 201, body: CREATED },
      [POLL]: { status: 200, body: { status: 'cancelled' } },
    }
    const requests = fakeApi(table)
    const { wrapper } = await mountAt(QrLoginView, '/login/qr')
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS)
    expect(wrapper.get('[data-testid=qr-status]').text()).toBe('已在手机上取消登录')

    const second = { ...CREATED, id: 'ZyXwVuTsRqPoNmLkJiHgFe', url: 'http://localhost:3000/qr/Zy' }
    table['POST /api/qr-login'] = { status: 201, body: second }
    table['GET /api/qr-login/ZyXwVuTsRqPoNmLkJiHgFe'] = { status: 200, body: { status: 'expired' } }
    await wrapper.get('button.weui-btn_primary').trigger('click')
    await flushPromises()
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS)
    expect(wrapper.get('[data-testid=qr-status]').text()).toBe('二维码已失效')
    expect(wrapper.get('button.weui-btn_primary').text()).toBe('刷新二维码')
    expect(calls(requests)).toEqual([
      'POST /api/qr-login',
      POLL,
      'POST /api/qr-login',
      'GET /api/qr-login/ZyXwVuTsRqPoNmLkJiHgFe',
    ])
  })

  it('asks once more when its time is up, then stops', async () => {
    const requests = fakeApi({
      'POST /api/qr-login': { status: 201, body: { ...CREATED, expiresIn: 5 } },
      [POLL]: { status: 200, body: { status: 'waiting' } },
    })
    const { wrapper } = await mountAt(QrLoginView, '/login/qr')
    await vi.advanceTimersByTimeAsync(4999)
    expect(wrapper.get('[data-testid=qr-time]').text()).toBe('1 秒后失效')
    // The last question goes out on the next tick.
    await vi.advanceTimersByTimeAsync(10)
    expect(wrapper.get('[data-testid=qr-status]').text()).toBe('二维码已失效')
    const polls = calls(requests).filter((call) => call === POLL).length
    expect(polls).toBe(3)
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5)
    expect(calls(requests).filter((call) => call === POLL)).toHaveLength(polls)
  })

  it('does not poll while the page is hidden, and asks at once when it is seen again', async () => {
    const requests = fakeApi({
      'POST /api/qr-login': { status: 201, body: CREATED },
      [POLL]: { status: 200, body: { status: 'waiting' } },
    })
    await mountAt(QrLoginView, '/login/qr')
    setHidden(true)
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5)
    expect(calls(requests)).toEqual(['POST /api/qr-login'])
    setHidden(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(calls(requests)).toEqual(['POST /api/qr-login', POLL])
  })

  it('treats a request this browser may no longer ask about (404) as expired', async () => {
    fakeApi({
      'POST /api/qr-login': { status: 201, body: CREATED },
      [POLL]: { status: 404, body: { error: { code: 'not_found', message: 'no such request' } } },
    })
    const { wrapper } = await mountAt(QrLoginView, '/login/qr')
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS)
    expect(wrapper.get('[data-testid=qr-status]').text()).toBe('二维码已失效')
  })

  it('stops polling when it leaves the page', async () => {
    const requests = fakeApi({
      'POST /api/qr-login': { status: 201, body: CREATED },
      [POLL]: { status: 200, body: { status: 'waiting' } },
    })
    const { wrapper } = await mountAt(QrLoginView, '/login/qr')
    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5)
    expect(calls(requests)).toEqual(['POST /api/qr-login'])
  })
})

const SCAN: QrLoginScan = {
  status: 'scanned',
  requester: {
    browser: 'Chrome 131',
    os: 'Windows',
    ip: '203.0.113.7',
    requestedAt: '2026-12-02T06:00:00.000Z',
  },
  phoneIp: '198.51.100.2',
  sameNetwork: false,
  expiresAt: '2026-12-02T06:02:00.000Z',
  expiresIn: 110,
}

describe('QrConfirmView (the phone)', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('says what is asking, warns, and confirms only on the tap', async () => {
    const requests = fakeApi({
      [`POST /api/qr-login/${ID}/scan`]: { status: 200, body: SCAN },
      [`POST /api/qr-login/${ID}/confirm`]: { status: 200, body: { status: 'confirmed' } },
    })
    const { wrapper } = await mountAt(QrConfirmView, `/qr/${ID}`)
    expect(wrapper.get('[data-testid=qr-confirm-title]').text()).toBe('确认电脑登录')
    const rows = wrapper.findAll('[data-testid=requester] .weui-cell').map((row) => row.text())
    expect(rows.slice(0, 3)).toEqual(['浏览器Chrome 131', '系统Windows', '网络地址203.0.113.7'])
    expect(wrapper.get('[data-testid=qr-warning]').text()).toContain('有人可能正试图盗用你的账号')
    expect(wrapper.get('[data-testid=qr-other-network]').text()).toContain('网络地址不同')
    const buttons = wrapper.findAll('.qr-confirm__actions button')
    expect(buttons.map((b) => b.text())).toEqual(['取消', '确认登录'])
    // Equally prominent: the same classes.
    expect(buttons[0]!.classes()).toEqual(buttons[1]!.classes())
    expect(calls(requests)).toEqual([`POST /api/qr-login/${ID}/scan`])

    await buttons[1]!.trigger('click')
    await flushPromises()
    expect(calls(requests)).toEqual([
      `POST /api/qr-login/${ID}/scan`,
      `POST /api/qr-login/${ID}/confirm`,
    ])
    expect(wrapper.get('[data-testid=qr-confirm-title]').text()).toBe('已确认登录')
    // From now on this phone's profile lists computers.
    expect(localStorage.getItem('wx-login:computers')).toBe('1')
  })

  it('cancels, and shows no network warning when both addresses match', async () => {
    const requests = fakeApi({
      [`POST /api/qr-login/${ID}/scan`]: { status: 200, body: { ...SCAN, sameNetwork: true } },
      [`POST /api/qr-login/${ID}/cancel`]: { status: 200, body: { status: 'cancelled' } },
    })
    const { wrapper } = await mountAt(QrConfirmView, `/qr/${ID}`)
    expect(wrapper.find('[data-testid=qr-other-network]').exists()).toBe(false)
    await wrapper.get('.qr-confirm__actions button').trigger('click')
    await flushPromises()
    expect(calls(requests).at(-1)).toBe(`POST /api/qr-login/${ID}/cancel`)
    expect(wrapper.get('[data-testid=qr-confirm-title]').text()).toBe('已取消登录')
    expect(localStorage.getItem('wx-login:computers')).toBeNull()
  })

  it('explains a code that expired or that someone else scanned', async () => {
    fakeApi({
      [`POST /api/qr-login/${ID}/scan`]: {
        status: 410,
        body: { error: { code: 'qr_expired', message: 'expired' } },
      },
    })
    const { wrapper } = await mountAt(QrConfirmView, `/qr/${ID}`)
    expect(wrapper.get('[data-testid=qr-confirm-title]').text()).toBe('二维码已失效')
    expect(wrapper.find('.qr-confirm__actions').exists()).toBe(false)

    fakeApi({
      [`POST /api/qr-login/${ID}/scan`]: {
        status: 409,
        body: { error: { code: 'qr_taken', message: 'taken' } },
      },
    })
    const taken = await mountAt(QrConfirmView, `/qr/${ID}`)
    expect(taken.wrapper.get('[data-testid=qr-confirm-title]').text()).toBe('二维码已被使用')
  })
})

describe('SignedInComputers (the phone’s profile)', () => {
  const COMPUTER: SignedInComputer = {
    id: 'sid-of-the-computer-01',
    browser: 'Chrome 131',
    os: 'Windows',
    ip: '203.0.113.7',
    signedInAt: '2026-12-02T06:00:00.000Z',
    expiresAt: '2026-12-09T06:00:00.000Z',
  }

  beforeEach(() => localStorage.clear())

  it('lists the computers and signs one out with 退出该设备', async () => {
    const requests = fakeApi({
      'GET /api/computers': { status: 200, body: { computers: [COMPUTER] } },
      [`DELETE /api/computers/${COMPUTER.id}`]: { status: 204 },
    })
    const wrapper = mount(SignedInComputers)
    await flushPromises()
    expect(wrapper.get('.computer-name').text()).toBe('Chrome 131 · Windows')
    const button = wrapper.get('button')
    expect(button.text()).toBe('退出该设备')
    await button.trigger('click')
    await flushPromises()
    expect(calls(requests)).toEqual(['GET /api/computers', `DELETE /api/computers/${COMPUTER.id}`])
    expect(wrapper.find('[data-testid=computers]').exists()).toBe(false)
    // None left: the profile stops asking.
    expect(localStorage.getItem('wx-login:computers')).toBeNull()
  })

  it('is asked for by the profile only on a phone that signed a computer in', async () => {
    const ua = vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(WECHAT_IOS_UA)
    onTestFinished(() => ua.mockRestore())
    setActivePinia(createPinia())
    useSessionStore().user = USER
    const requests = fakeApi({
      'GET /api/computers': { status: 200, body: { computers: [COMPUTER] } },
    })
    await mountAt(ProfileView, '/profile')
    expect(calls(requests)).toEqual([])

    localStorage.setItem('wx-login:computers', '1')
    const { wrapper } = await mountAt(ProfileView, '/profile')
    await vi.waitFor(() => expect(wrapper.find('[data-testid=computers]').exists()).toBe(true))
    expect(calls(requests)).toEqual(['GET /api/computers'])
  })

  it('shows nothing when there are none or the list cannot be read', async () => {
    fakeApi({ 'GET /api/computers': { status: 200, body: { computers: [] } } })
    const empty = mount(SignedInComputers)
    await flushPromises()
    expect(empty.html()).toBe('<!--v-if-->')
    expect(localStorage.getItem('wx-login:computers')).toBeNull()
    fakeApi({})
    const failed = mount(SignedInComputers)
    await flushPromises()
    expect(failed.html()).toBe('<!--v-if-->')
  })
})
