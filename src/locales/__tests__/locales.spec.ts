import { afterEach, describe, expect, it } from 'vitest'
import { SIGNING_IN_SHELL } from '@/auth/callback'
import { chooseLocale, detectLocale, locale, startLocale, wechatLang } from '@/locales'
import { zhCN } from '@/locales/zh-CN'

afterEach(() => {
  localStorage.clear()
  locale.value = null
})

describe('detectLocale', () => {
  it.each([
    [['zh-CN'], 'zh-CN'],
    [['zh'], 'zh-CN'],
    [['zh-Hans-HK'], 'zh-CN'],
    [['zh-TW'], 'zh-TW'],
    [['zh-HK', 'en'], 'zh-TW'],
    [['zh-MO'], 'zh-TW'],
    [['zh-Hant'], 'zh-TW'],
    [['zh-Hant-TW'], 'zh-TW'],
    [['en-US', 'zh-CN'], 'en'],
    [['en'], 'en'],
    [['ja-JP', 'en-GB'], 'en'],
    [['fr-FR'], 'zh-CN'],
    [[], 'zh-CN'],
  ] as const)('%j speaks %s', (languages, expected) => {
    expect(detectLocale(languages)).toBe(expected)
  })
})

describe('startLocale and chooseLocale', () => {
  it('follows the browser and marks the document', async () => {
    await startLocale(localStorage, ['zh-TW'])
    expect(locale.value).toBe('zh-TW')
    expect(document.documentElement.lang).toBe('zh-TW')
  })

  it('remembers a choice over the browser', async () => {
    await chooseLocale('en')
    expect(localStorage.getItem('wx-login:locale')).toBe('en')
    locale.value = null
    await startLocale(localStorage, ['zh-CN'])
    expect(locale.value).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('ignores a stored value it does not know', async () => {
    localStorage.setItem('wx-login:locale', 'fr')
    await startLocale(localStorage, ['zh-HK'])
    expect(locale.value).toBe('zh-TW')
  })
})

describe('wechatLang', () => {
  it('leaves the language to the server until the app has picked one', () => {
    expect(wechatLang()).toBeUndefined()
  })

  it.each([
    ['zh-CN', 'zh_CN'],
    ['zh-TW', 'zh_TW'],
    ['en', 'en'],
  ] as const)('names %s as %s', async (value, expected) => {
    await chooseLocale(value)
    expect(wechatLang()).toBe(expected)
  })
})

describe('the callback page', () => {
  it('shows SignInView’s own words from its HTML until the app mounts', () => {
    expect(SIGNING_IN_SHELL).toContain(`<h1 class="weui-msg__title">${zhCN.signIn.pending}</h1>`)
  })
})
