import type { WechatLang } from '@contract'

/**
 * Which language to speak, without the strings: the callback page's first script needs
 * the answer (for `/sns/userinfo`'s lang) before the app and its strings have arrived.
 */
export type Locale = 'zh-CN' | 'zh-TW' | 'en'

export const LOCALES: readonly Locale[] = ['zh-CN', 'zh-TW', 'en']
export const DEFAULT_LOCALE: Locale = 'zh-CN'
export const LOCALE_STORAGE_KEY = 'wx-login:locale'
export const WECHAT_LANG_OF: Record<Locale, WechatLang> = {
  'zh-CN': 'zh_CN',
  'zh-TW': 'zh_TW',
  en: 'en',
}

export function isLocale(value: unknown): value is Locale {
  return (LOCALES as unknown[]).includes(value)
}

/**
 * The browser's first preference the app speaks: Traditional Chinese for Taiwan, Hong Kong,
 * Macau and zh-Hant, Simplified for other Chinese, English for en; Simplified otherwise.
 */
export function detectLocale(languages: readonly string[]): Locale {
  for (const tag of languages.map((language) => language.toLowerCase())) {
    if (/^zh-(?:tw|hk|mo|hant)\b/.test(tag)) return 'zh-TW'
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN'
    if (tag === 'en' || tag.startsWith('en-')) return 'en'
  }
  return DEFAULT_LOCALE
}

/**
 * The languages to try, in order. Inside WeChat its own setting comes first: WeChat names
 * it in the User-Agent (`Language/zh_CN`, wechat-behaviour.md §5), and it can differ from
 * the phone's, which is all `navigator.languages` knows.
 */
export function preferredLanguages(userAgent: string, languages: readonly string[]): string[] {
  const wechat = /\bMicroMessenger\/.*\bLanguage\/([A-Za-z]+(?:_[A-Za-z]+)?)/.exec(userAgent)
  return wechat ? [wechat[1]!.replace('_', '-'), ...languages] : [...languages]
}

/** The language chosen on the page before, or else the browser's. */
export function initialLocale(storage: Storage, languages: readonly string[]): Locale {
  const saved = storage.getItem(LOCALE_STORAGE_KEY)
  return isLocale(saved) ? saved : detectLocale(languages)
}
