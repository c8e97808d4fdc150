import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { routes } from '@/router'
// Loaded up front so the view's lazy imports resolve within flushPromises.
import 'qrcode'
import '../ProfileView.vue'
import OpenInWechatView from '../OpenInWechatView.vue'

const EMULATOR_AUTHORIZE_URL = 'http://127.0.0.1:8899/connect/oauth2/authorize'
const OFFICIAL_AUTHORIZE_URL = 'https://open.weixin.qq.com/connect/oauth2/authorize'

// The view reads appConfig when it is set up, so each test can point it elsewhere.
const config = vi.hoisted(() => ({
  appConfig: {
    appId: 'wxd0e1a2b3c4f5e6d7',
    authorizeUrl: '',
    scope: 'snsapi_userinfo',
    forcePopup: false,
  },
}))
vi.mock('@/config', () => config)

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36'
const WECOM =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/7.0.1 wxwork/4.1.6 ColorScheme/Light'
const MINI_PROGRAM =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN miniProgram'
const IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'

async function mountFor(userAgent: string, from: string) {
  vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(userAgent)
  const router = createRouter({ history: createMemoryHistory(), routes })
  // Works before and after the app registers its /open-in-wechat route.
  const path = router.hasRoute('open-in-wechat') ? '/open-in-wechat' : '/'
  await router.push({ path, query: { from } })
  const wrapper = mount(OpenInWechatView, { global: { plugins: [router] } })
  await flushPromises()
  return { wrapper, router }
}

function stubClipboard(writeText?: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: writeText ? { writeText } : undefined,
  })
}

function svgOf(src: string): string {
  return decodeURIComponent(src.slice(src.indexOf(',') + 1))
}

describe('OpenInWechatView', () => {
  beforeEach(() => {
    sessionStorage.clear()
    config.appConfig.authorizeUrl = OFFICIAL_AUTHORIZE_URL
  })

  afterEach(() => {
    vi.restoreAllMocks()
    stubClipboard()
  })

  it('asks a browser to scan a QR code of the page in WeChat', async () => {
    const { wrapper } = await mountFor(CHROME, '/profile')
    expect(wrapper.get('h1').text()).toBe('请在微信中打开')
    expect(wrapper.text()).toContain('用微信扫一扫上方二维码，即可在微信中继续')
    const img = wrapper.get('[data-testid=qr] img')
    expect(img.attributes('alt')).toBe('当前页面的二维码')
    const src = img.attributes('src') ?? ''
    expect(src).toMatch(/^data:image\/svg\+xml,/)
    expect(svgOf(src)).toMatch(
      /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/,
    )
    expect(wrapper.get('[data-testid=url]').text()).toBe('http://localhost:3000/profile')
    expect(wrapper.get('button.weui-btn_primary').text()).toBe('复制链接')
  })

  it('keeps the search and hash of the page to open', async () => {
    const { wrapper } = await mountFor(CHROME, '/profile?tab=1#top')
    expect(wrapper.get('[data-testid=url]').text()).toBe('http://localhost:3000/profile?tab=1#top')
  })

  it.each(['//evil.example', 'https://evil.example/profile', '/\\evil.example'])(
    'never offers another origin: %s becomes the profile',
    async (from) => {
      const { wrapper } = await mountFor(CHROME, from)
      expect(wrapper.get('[data-testid=url]').text()).toBe('http://localhost:3000/profile')
      expect(svgOf(wrapper.get('[data-testid=qr] img').attributes('src') ?? '')).toMatch(/^<svg /)
    },
  )

  it('copies the link and then says 已复制', async () => {
    const writeText = vi.fn<(text: string) => Promise<void>>().mockResolvedValue(undefined)
    stubClipboard(writeText)
    const { wrapper } = await mountFor(CHROME, '/profile')
    await wrapper.get('button.weui-btn_primary').trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledExactlyOnceWith('http://localhost:3000/profile')
    expect(wrapper.get('button.weui-btn_primary').text()).toBe('已复制')
  })

  it('asks for a manual copy where there is no clipboard', async () => {
    const { wrapper } = await mountFor(CHROME, '/profile')
    await wrapper.get('button.weui-btn_primary').trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('无法自动复制，请长按或选中上方链接手动复制')
    expect(wrapper.get('button.weui-btn_primary').text()).toBe('复制链接')
  })

  it('tells WeCom users that WeCom cannot sign in, with the link and QR code', async () => {
    const { wrapper } = await mountFor(WECOM, '/profile')
    expect(wrapper.get('h1').text()).toBe('请在微信中打开')
    expect(wrapper.text()).toContain('企业微信不支持微信公众号登录，请复制链接后在微信中打开')
    expect(wrapper.get('[data-testid=qr] img').attributes('src')).toMatch(/^data:image\/svg\+xml,/)
    expect(wrapper.get('button.weui-btn_primary').text()).toBe('复制链接')
  })

  it('tells mini-program users to open the page from the Official Account', async () => {
    const { wrapper } = await mountFor(MINI_PROGRAM, '/profile')
    expect(wrapper.get('h1').text()).toBe('请在公众号中打开')
    expect(wrapper.text()).toContain('小程序中的网页无法使用公众号网页授权登录')
    expect(wrapper.find('[data-testid=qr]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=url]').text()).toBe('http://localhost:3000/profile')
    expect(wrapper.get('button.weui-btn_primary').text()).toBe('复制链接')
  })

  it('sends a WeChat that can sign in straight on', async () => {
    const { router } = await mountFor(IOS, '/profile')
    expect(router.currentRoute.value.fullPath).toBe('/profile')
  })

  it('offers no way past it against the real WeChat', async () => {
    const { wrapper } = await mountFor(CHROME, '/profile')
    expect(wrapper.text()).not.toContain('继续（仅限开发环境）')
    expect(wrapper.find('button.weui-btn_default').exists()).toBe(false)
  })

  it('lets a developer continue in the browser against the emulator', async () => {
    config.appConfig.authorizeUrl = EMULATOR_AUTHORIZE_URL
    const { wrapper, router } = await mountFor(CHROME, '/profile')
    const button = wrapper.get('button.weui-btn_default')
    expect(button.text()).toBe('继续（仅限开发环境）')
    await button.trigger('click')
    await flushPromises()
    expect(sessionStorage.getItem('wx-login:allow-browser')).toBe('1')
    expect(router.currentRoute.value.fullPath).toBe('/profile')
  })
})
