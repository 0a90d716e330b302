// The one set of catalogs, shared with the backend: ../i18n/*.json.
import { createI18n } from 'vue-i18n'
import en from '@i18n/en.json'
import zhCN from '@i18n/zh-CN.json'

export type Locale = 'zh-CN' | 'en'
const STORAGE_KEY = 'city.locale'

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY)
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}
