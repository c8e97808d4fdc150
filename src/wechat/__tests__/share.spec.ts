import { flushPromises } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AxiosAdapter } from 'axios'
import { createRouter, createWebHistory, type Router } from 'vue-router'
import { http } from '@/api'
import type { WechatClient } from '@/auth/client'
import { chooseLocale, locale } from '@/locales'
import { installGuards, routes } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeApi } from '@/test/fake-api'
import { fakeWx } from '@/test/fake-wx'
import { USER } from '@/test/fixtures'
import { installWechatShare } from '../share'

const CONFIG_PATH = 'POST /api/wechat/jssdk-config'
const SIGNED = { appId: 'wxd0e1a2b3c4f5e6d7', timestamp: 1414587457, nonceStr: 'Wm3WZYTPz0wzccnW' }
const LIST = ['updateAppMessageShareData', 'updateTimelineShareData']
const CARD_ZH = {
  title: '微信授权登录',
  desc: '用微信一键登录，查看你的微信头像、昵称等资料。',
  link: 'http://localhost:3000/',
  imgUrl: 'http://localhost:3000/share-icon.png',
}

/** The real routes and guard over the real address bar, with the share card installed. */
function start(client: WechatClient, path: string) {
  window.history.replaceState(null, '', path)
  const landingUrl = location.href
  const fake = fakeWx()
  const load = vi.fn(() => Promise.resolve(fake.wx))
  const router = createRouter({ history: createWebHistory(), routes })
  installGuards(router)
  installWechatShare(router, { landingUrl, client, load })
  return { router, fake, load }
}

/** Every signature the page asked for, by URL, in order. */
function signedUrls(requests: ReturnType<typeof fakeApi>) {
  return requests
    .filter((r) => `${r.method} ${r.url}` === CONFIG_PATH)
    .map((r) => (r.body as { url: string }).url)
}

async function go(router: Router, to: string) {
  await router.push(to)
  await flushPromises()
}

describe('installWechatShare', () => {
  let requests: ReturnType<typeof fakeApi>

  beforeEach(() => {
    setActivePinia(createPinia())
    const session = useSessionStore()
    session.user = USER
    session.checked = true
    requests = fakeApi({ [CONFIG_PATH]: { status: 200, body: { ...SIGNED, signature: 'SIG1' } } })
  })

  afterEach(() => {
    vi.restoreAllMocks()
    localStorage.clear()
    locale.value = null
  })

  it('installed after the first page is shown (it loads lazily), takes that page once', async () => {
    window.history.replaceState(null, '', '/')
    const router = createRouter({ history: createWebHistory(), routes })
    installGuards(router)
    await go(router, '/')
    const fake = fakeWx()
    installWechatShare(router, {
      landingUrl: location.href,
      client: 'wechat-android',
      load: () => Promise.resolve(fake.wx),
    })
    await flushPromises()
    expect(signedUrls(requests)).toEqual(['http://localhost:3000/'])
    await go(router, '/profile')
    expect(signedUrls(requests)).toEqual([
      'http://localhost:3000/',
      'http://localhost:3000/profile',
    ])
  })

  it('on iOS signs the landing URL with code and state, once, after the guard replaced it', async () => {
    const { router, fake } = start('wechat-ios', '/auth/callback?code=CODE1&state=STATE1')
    await go(router, '/auth/callback?code=CODE1&state=STATE1')
    expect(location.href).toBe('http://localhost:3000/auth/callback')
    // The sign-in page has no card: nothing is loaded or asked while signing in.
    expect(requests).toEqual([])

    await router.replace('/profile')
    await flushPromises()
    expect(signedUrls(requests)).toEqual([
      'http://localhost:3000/auth/callback?code=CODE1&state=STATE1',
    ])
    expect(fake.configs).toEqual([{ ...SIGNED, signature: 'SIG1', jsApiList: LIST }])
    fake.settle()
    expect(fake.appMessage).toEqual([CARD_ZH])

    await go(router, '/')
    await go(router, '/profile?tab=1')
    expect(signedUrls(requests)).toHaveLength(1)
    expect(fake.configs).toHaveLength(1)
    expect(fake.appMessage).toEqual([CARD_ZH, CARD_ZH, CARD_ZH])
  })

  it.each<WechatClient>(['wechat-android', 'wechat-windows', 'wechat-mac', 'wechat-other'])(
    'on %s signs the current URL after each navigation',
    async (client) => {
      const { router, fake } = start(client, '/auth/callback?code=CODE1&state=STATE1')
      await go(router, '/auth/callback?code=CODE1&state=STATE1')
      await router.replace('/profile')
      await flushPromises()
      fake.settle()
      await go(router, '/')
      await go(router, '/profile?tab=1')
      expect(signedUrls(requests)).toEqual([
        'http://localhost:3000/profile',
        'http://localhost:3000/',
        'http://localhost:3000/profile?tab=1',
      ])
      expect(fake.configs).toHaveLength(3)
      expect(fake.appMessage).toEqual([CARD_ZH, CARD_ZH, CARD_ZH])
    },
  )

  it('configures only for the page on screen when the answers come late', async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const answer = http.defaults.adapter as AxiosAdapter
    http.defaults.adapter = async (config) => held.then(() => answer(config))
    const { router, fake } = start('wechat-android', '/')
    await go(router, '/')
    await go(router, '/profile')
    release()
    await flushPromises()
    expect(signedUrls(requests)).toEqual([
      'http://localhost:3000/',
      'http://localhost:3000/profile',
    ])
    expect(fake.configs).toHaveLength(1)
  })

  it.each<[WechatClient, string]>([
    ['wechat-ios', 'http://localhost:3000/?from=menu'],
    ['wechat-android', 'http://localhost:3000/?from=menu'],
  ])('on %s signs the URL without its #fragment', async (client, signed) => {
    const { router } = start(client, '/?from=menu#top')
    await go(router, '/?from=menu#top')
    expect(signedUrls(requests)).toEqual([signed])
  })

  it.each<WechatClient>(['browser', 'wecom', 'miniprogram'])(
    'in %s loads no SDK and asks for no signature',
    async (client) => {
      const { router, load } = start(client, '/')
      await go(router, '/')
      await go(router, '/profile')
      expect(load).not.toHaveBeenCalled()
      expect(requests).toEqual([])
    },
  )

  it.each([
    ['zh-TW', '微信授權登入', '用微信一鍵登入，查看你的微信頭像、暱稱等資料。'],
    [
      'en',
      'Sign in with WeChat',
      'Sign in with one tap and see your WeChat profile photo, name and more.',
    ],
  ] as const)(
    'shares the home page in %s, and again when the language changes',
    async (lang, title, desc) => {
      const { router, fake } = start('wechat-android', '/profile')
      await go(router, '/profile')
      fake.settle()
      expect(fake.appMessage).toEqual([CARD_ZH])
      expect(fake.timeline).toEqual([
        { title: CARD_ZH.title, link: CARD_ZH.link, imgUrl: CARD_ZH.imgUrl },
      ])

      await chooseLocale(lang)
      await flushPromises()
      const card = {
        title,
        link: 'http://localhost:3000/',
        imgUrl: 'http://localhost:3000/share-icon.png',
      }
      expect(fake.appMessage.at(-1)).toEqual({ ...card, desc })
      expect(fake.timeline.at(-1)).toEqual(card)
    },
  )

  it('on an invalid signature signs the URL WeChat checked once more, then shares', async () => {
    const { router, fake } = start('wechat-ios', '/profile')
    await go(router, '/profile')
    const retry = fakeApi({
      [CONFIG_PATH]: { status: 200, body: { ...SIGNED, signature: 'SIG2' } },
    })
    fake.settle({
      errMsg: 'config:invalid signature',
      realAuthUrl: ['http://localhost:3000/profile?from=singlemessage', 'http://localhost:3000/'],
    })
    await flushPromises()
    expect(signedUrls(retry)).toEqual(['http://localhost:3000/profile?from=singlemessage'])
    expect(fake.configs).toEqual([
      { ...SIGNED, signature: 'SIG1', jsApiList: LIST },
      { ...SIGNED, signature: 'SIG2', jsApiList: LIST },
    ])
    fake.settle()
    // jweixin runs ready callbacks after a failed configuration too; then after the new one.
    expect(fake.appMessage).toEqual([CARD_ZH, CARD_ZH])
  })

  it('sets the card again when WeChat refuses it while the new signature is checked', async () => {
    vi.useFakeTimers()
    try {
      const { router, fake } = start('wechat-android', '/')
      await go(router, '/')
      fake.refuseShares('the permission value is offline verifying')
      fake.settle()
      // Refused once: nothing yet, and one more try a moment later.
      expect(fake.appMessage).toEqual([])
      await vi.advanceTimersByTimeAsync(300)
      expect(fake.appMessage).toEqual([CARD_ZH])
      // A refusal for another reason is not tried again.
      fake.refuseShares('the permission value is not granted')
      await go(router, '/profile')
      fake.settle()
      await vi.advanceTimersByTimeAsync(1000)
      expect(fake.appMessage).toEqual([CARD_ZH])
    } finally {
      vi.useRealTimers()
    }
  })

  it('asks exactly once more for a string realAuthUrl, and only warns on a second failure', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { router, fake } = start('wechat-android', '/')
    await go(router, '/')
    const failure = {
      errMsg: 'config:invalid signature',
      realAuthUrl: 'http://localhost:3000/?x=1',
    }
    fake.settle(failure)
    await flushPromises()
    fake.settle(failure)
    await flushPromises()
    expect(signedUrls(requests)).toEqual(['http://localhost:3000/', 'http://localhost:3000/?x=1'])
    expect(fake.configs).toHaveLength(2)
    expect(warn.mock.calls).toEqual([['WeChat JS-SDK: config:invalid signature']])
  })

  it('does not retry a failure that names no checked URL, and only warns', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { router, fake } = start('wechat-android', '/')
    await go(router, '/')
    fake.settle({ errMsg: 'config:invalid url domain' })
    await flushPromises()
    expect(signedUrls(requests)).toHaveLength(1)
    expect(warn.mock.calls).toEqual([['WeChat JS-SDK: config:invalid url domain']])
  })

  it.each([
    ['the server fails', { status: 500, body: { error: { code: 'internal', message: 'x' } } }],
    ['the network fails', 'network-error'],
  ] as const)(
    'on iOS, when %s, asks again for the landing URL at the next page, once each',
    async (_name, reply) => {
      const landing = 'http://localhost:3000/?from=share'
      requests = fakeApi({ [CONFIG_PATH]: reply })
      const { router, fake } = start('wechat-ios', '/?from=share')
      await go(router, '/?from=share')
      await go(router, '/profile')
      // One request per page, each for the landing URL; no config without a signature.
      expect(signedUrls(requests)).toEqual([landing, landing])
      expect(fake.configs).toEqual([])

      const retry = fakeApi({
        [CONFIG_PATH]: { status: 200, body: { ...SIGNED, signature: 'SIG2' } },
      })
      await go(router, '/')
      expect(signedUrls(retry)).toEqual([landing])
      expect(fake.configs).toEqual([{ ...SIGNED, signature: 'SIG2', jsApiList: LIST }])
      fake.settle()
      expect(fake.appMessage).toEqual([CARD_ZH])
      // Configured: later pages reuse it.
      await go(router, '/profile')
      expect(signedUrls(retry)).toHaveLength(1)
      expect(fake.appMessage).toEqual([CARD_ZH, CARD_ZH])
    },
  )

  it('on iOS, a page shown while the signature is asked for waits for it', async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const answer = http.defaults.adapter as AxiosAdapter
    http.defaults.adapter = async (config) => held.then(() => answer(config))
    const { router, fake } = start('wechat-ios', '/')
    await go(router, '/')
    await go(router, '/profile')
    release()
    await flushPromises()
    expect(signedUrls(requests)).toEqual(['http://localhost:3000/'])
    expect(fake.configs).toHaveLength(1)
    fake.settle()
    expect(fake.appMessage).toEqual([CARD_ZH, CARD_ZH])
  })

  it.each([
    ['the server fails', { status: 500, body: { error: { code: 'internal', message: 'x' } } }],
    ['the network fails', 'network-error'],
  ] as const)('stays silent when %s', async (_name, reply) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    requests = fakeApi({ [CONFIG_PATH]: reply })
    const { router, fake } = start('wechat-android', '/')
    await go(router, '/')
    await go(router, '/profile')
    expect(signedUrls(requests)).toHaveLength(2)
    expect(fake.configs).toEqual([])
    expect(router.currentRoute.value.name).toBe('profile')
    expect(warn).not.toHaveBeenCalled()
  })
})
