import { computed, ref, shallowReactive } from 'vue'
import type { WechatLang } from '@contract'
import {
  DEFAULT_LOCALE,
  initialLocale,
  LOCALE_STORAGE_KEY,
  WECHAT_LANG_OF,
  type Locale,
} from './detect'
import { zhCN, type Messages } from './zh-CN'

export { DEFAULT_LOCALE, detectLocale, LOCALES, type Locale } from './detect'
export type { Messages }

/**
 * Simplified Chinese ships with the app; the other languages are fetched when someone
 * speaks them, so most visitors do not download strings they never read.
 */
const loaders: Record<Locale, () => Promise<Messages>> = {
  'zh-CN': () => Promise.resolve(zhCN),
  'zh-TW': () => import('./zh-TW').then((module) => module.zhTW),
  en: () => import('./en').then((module) => module.en),
}

/**
 * The UI language, null until `startLocale` has run. Until then the pages speak the
 * default and the server's WECHAT_LANG names the userinfo language.
 */
export const locale = ref<Locale | null>(null)
/** Every language downloaded so far. */
const loaded = shallowReactive<Partial<Record<Locale, Messages>>>({ 'zh-CN': zhCN })
/** The strings of `locale` (of the default until then). */
export const messages = computed(() => loaded[locale.value ?? DEFAULT_LOCALE] ?? zhCN)

/** Counts choices, so a slow download cannot overwrite a later choice. */
let latest = 0

async function apply(value: Locale): Promise<void> {
  const choice = ++latest
  let strings: Messages
  try {
    strings = await loaders[value]()
  } catch {
    // Offline or a failed chunk: keep speaking the language already on screen.
    return
  }
  if (choice !== latest) return
  loaded[value] = strings
  locale.value = value
  document.documentElement.lang = value
}

/** The language chosen on the page before, or else the browser's; resolves once loaded. */
export function startLocale(storage: Storage, languages: readonly string[]): Promise<void> {
  return apply(initialLocale(storage, languages))
}

/** A choice made on the page, remembered for the next visit. */
export function chooseLocale(value: Locale, storage: Storage = localStorage): Promise<void> {
  storage.setItem(LOCALE_STORAGE_KEY, value)
  return apply(value)
}

/** The UI language as `/sns/userinfo` names it, so WeChat's region names match the page. */
export function wechatLang(): WechatLang | undefined {
  return locale.value ? WECHAT_LANG_OF[locale.value] : undefined
}
