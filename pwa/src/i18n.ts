// The one set of catalogs, shared with the backend: ../i18n/*.json.
import { createI18n } from 'vue-i18n'
import en from '@i18n/en.json'
import zhCN from '@i18n/zh-CN.json'
import { chooseLocale, type Locale } from './locale'

export type { Locale }
const STORAGE_KEY = 'city.locale'

export const i18n = createI18n({
  legacy: false,
  // Module scope of a test in node has no navigator.languages: it starts in zh-CN there.
  locale: chooseLocale(localStorage.getItem(STORAGE_KEY), globalThis.navigator?.languages ?? []),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

/** The user's explicit choice: kept, and preferred over the browser's languages from now on. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}
