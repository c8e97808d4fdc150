import { computed } from 'vue'
import { chooseLocale, DEFAULT_LOCALE, locale, messages } from '@/locales'

const current = computed(() => locale.value ?? DEFAULT_LOCALE)
const t = computed(() => messages.value)

/** The current language, its strings, and the way to switch. */
export function useI18n() {
  return { locale: current, t, chooseLocale }
}
