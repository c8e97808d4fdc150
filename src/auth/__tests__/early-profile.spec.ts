import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { routes } from '@/router'
import { useSessionStore } from '@/stores/session'
import { USER } from '@/test/fixtures'
import ProfileView from '@/views/ProfileView.vue'
import { SIGNING_IN_SHELL } from '../callback'
import { drawProfileHead, leadsToProfile } from '../early-profile'

vi.mock('@/config', async () => ({
  appConfig: (await import('@/test/fixtures')).TEST_APP_CONFIG,
}))

/** #app as the callback page's HTML has it, 正在登录… inside. */
function callbackPageApp(): HTMLElement {
  document.body.innerHTML = `<div id="app">${SIGNING_IN_SHELL}</div>`
  return document.getElementById('app')!
}

/** An element's tree as tag.class names and test ids, without text or attribute order. */
function shape(el: Element): string {
  const classes = [...el.classList].sort().map((c) => `.${c}`)
  const testid = el.getAttribute('data-testid')
  const children = [...el.children].map(shape)
  return `${el.tagName.toLowerCase()}${classes.join('')}${testid ? `[${testid}]` : ''}${
    children.length ? `(${children.join(' ')})` : ''
  }`
}

describe('drawProfileHead (the callback page, before the app)', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('puts the avatar at 132 px and the nickname where 正在登录… was', () => {
    const app = callbackPageApp()
    expect(drawProfileHead(app, USER)).toBe(true)
    expect(app.textContent).not.toContain('正在登录')
    expect(app.querySelector('[data-testid=nickname]')?.textContent).toBe('🌸✨小仙女')
    const img = app.querySelector('img.avatar')!
    expect(img.getAttribute('src')).toBe('https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132')
    expect(img.getAttribute('alt')).toBe('')
    expect(img.getAttribute('referrerpolicy')).toBe('no-referrer')
    expect(app.querySelector('.profile')?.getAttribute('aria-busy')).toBe('true')
    // Still the page's own: the app's mount replaces it.
    expect(app.firstElementChild?.hasAttribute('data-shell')).toBe(true)
  })

  it('has the shape of the profile page’s head, so the app’s mount moves nothing', async () => {
    const app = callbackPageApp()
    drawProfileHead(app, USER)
    useSessionStore().user = USER
    const router = createRouter({ history: createMemoryHistory(), routes })
    await router.push('/profile')
    const page = mount(ProfileView, { global: { plugins: [router] } })
    expect(shape(app.querySelector('header')!)).toBe(shape(page.get('header').element))
    expect(shape(app.querySelector('header')!)).toBe(
      'header.profile-head.weui-cells(div.weui-cell(img.avatar h1.profile-name.weui-cell__bd[nickname]))',
    )
    expect(app.querySelector('.profile')?.parentElement?.tagName).toBe('MAIN')
    expect(app.querySelector('.app')?.classList.contains('app_list')).toBe(true)
  })

  it('writes a nickname that looks like HTML as text', () => {
    const app = callbackPageApp()
    drawProfileHead(app, { ...USER, nickname: '<img src=x onerror=alert(1)>' })
    expect(app.querySelector('[data-testid=nickname]')?.textContent).toBe(
      '<img src=x onerror=alert(1)>',
    )
    expect(app.querySelectorAll('img')).toHaveLength(1)
  })

  it('holds the avatar’s place with an empty box when WeChat sent none', () => {
    const app = callbackPageApp()
    drawProfileHead(app, { ...USER, headimgurl: '' })
    expect(app.querySelector('img')).toBeNull()
    expect(app.querySelector('.profile-head .avatar.avatar-blank')).not.toBeNull()
  })

  it('draws nothing without a nickname: the words for that live in the app', () => {
    const app = callbackPageApp()
    expect(drawProfileHead(app, { ...USER, nickname: '' })).toBe(false)
    expect(app.querySelector('h1')?.textContent).toBe('正在登录…')
    expect(app.querySelector('[data-testid=nickname]')).toBeNull()
  })

  it('never draws over the mounted app, nor without #app', () => {
    const app = callbackPageApp()
    app.innerHTML = '<div class="app"><main><h1>错误</h1></main></div>'
    expect(drawProfileHead(app, USER)).toBe(false)
    expect(app.querySelector('h1')?.textContent).toBe('错误')
    expect(drawProfileHead(null, USER)).toBe(false)
  })
})

describe('leadsToProfile', () => {
  it.each([
    ['/profile', true],
    ['/profile?tab=2', true],
    ['/profile#top', true],
    ['/', false],
    ['/profiles', false],
    ['/profile/x', false],
  ])('%s → %s', (returnTo, expected) => {
    expect(leadsToProfile(returnTo)).toBe(expected)
  })
})
