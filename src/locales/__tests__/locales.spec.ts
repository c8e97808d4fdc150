import { afterEach, describe, expect, it } from 'vitest'
import { chooseLocale, detectLocale, locale, startLocale, wechatLang } from '@/locales'
import { preferredLanguages } from '@/locales/detect'

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

describe('preferredLanguages', () => {
  const wechat = (language: string) =>
    `Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20230805 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 NetType/WIFI Language/${language}`

  it.each([
    ['zh_CN', ['en-US'], 'zh-CN'],
    ['zh_TW', ['zh-CN'], 'zh-TW'],
    ['zh_HK', ['en-US'], 'zh-TW'],
    ['en', ['zh-CN'], 'en'],
    // A language the app does not speak: the phone's next.
    ['ja', ['en-GB'], 'en'],
  ] as const)(
    'puts WeChat’s own Language/%s before the phone’s %j',
    (language, phone, expected) => {
      expect(detectLocale(preferredLanguages(wechat(language), phone))).toBe(expected)
    },
  )

  it('names WeChat’s setting first, then the browser’s, as tags', () => {
    expect(preferredLanguages(wechat('zh_CN'), ['en-US', 'en'])).toEqual(['zh-CN', 'en-US', 'en'])
  })

  it('reads no Language/ token outside WeChat', () => {
    const chrome =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Language/zh_CN Chrome/132.0.0.0 Safari/537.36'
    expect(preferredLanguages(chrome, ['en-US'])).toEqual(['en-US'])
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
