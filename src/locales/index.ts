import { ref } from 'vue'
import type { WechatLang } from '@/contract'
import { en } from './en'
import { zhCN, type Messages } from './zh-CN'
import { zhTW } from './zh-TW'

export type Locale = 'zh-CN' | 'zh-TW' | 'en'
export type { Messages }

export const messages: Record<Locale, Messages> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en }
export const LOCALES = Object.keys(messages) as Locale[]
export const DEFAULT_LOCALE: Locale = 'zh-CN'

const STORAGE_KEY = 'wx-login:locale'
const WECHAT_LANGS: Record<Locale, WechatLang> = { 'zh-CN': 'zh_CN', 'zh-TW': 'zh_TW', en: 'en' }

/**
 * The UI language, null until `startLocale` runs at app start. Until then the pages speak
 * the default and the server's WECHAT_LANG names the userinfo language.
 */
export const locale = ref<Locale | null>(null)

function isLocale(value: unknown): value is Locale {
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

function apply(value: Locale) {
  locale.value = value
  document.documentElement.lang = value
}

/** The language chosen on the page before, or else the browser's. */
export function startLocale(storage: Storage, languages: readonly string[]): void {
  const saved = storage.getItem(STORAGE_KEY)
  apply(isLocale(saved) ? saved : detectLocale(languages))
}

/** A choice made on the page, remembered for the next visit. */
export function chooseLocale(value: Locale, storage: Storage = localStorage): void {
  storage.setItem(STORAGE_KEY, value)
  apply(value)
}

/** The UI language as `/sns/userinfo` names it, so WeChat's region names match the page. */
export function wechatLang(): WechatLang | undefined {
  return locale.value ? WECHAT_LANGS[locale.value] : undefined
}
