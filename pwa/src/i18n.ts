// The one set of catalogs, shared with the backend: ../i18n/*.json. The citizen app ships only the
// sections it shows (virtual:catalog/…, see vite.config.ts), Chinese in the first screen's script and
// English as a chunk of its own, loaded when it is used; the desk adds the whole catalog when opened,
// the field app its own section (src/field/boot.ts: virtual:field-catalog/…).
import type { LocaleMessage } from '@intlify/core-base'
import { createI18n, type VueMessageType } from 'vue-i18n'
import zhCN from 'virtual:catalog/zh-CN'
import { chooseLocale, type Locale } from './locale'

export type { Locale }
const STORAGE_KEY = 'city.locale'
type Messages = LocaleMessage<VueMessageType>
/** Where a part of the catalogs comes from, per language. */
export type CatalogSources = Record<Locale, () => Promise<{ default: Messages }>>

const sources: Record<string, CatalogSources> = {
  citizen: { 'zh-CN': async () => ({ default: zhCN }), en: () => import('virtual:catalog/en') },
  desk: { 'zh-CN': () => import('@i18n/zh-CN.json'), en: () => import('@i18n/en.json') },
}

export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN' as Locale,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN } as Partial<Record<Locale, Messages>>,
})

/** The language to start in. Module scope of a test in node has no navigator.languages: zh-CN there. */
export const startLocale: Locale = chooseLocale(localStorage.getItem(STORAGE_KEY), globalThis.navigator?.languages ?? [])

const loaded = new Set<string>(['zh-CN:citizen'])
const parts = new Set<string>(['citizen'])

async function load(locale: Locale, part: string): Promise<void> {
  const key = `${locale}:${part}`
  if (loaded.has(key)) return
  i18n.global.mergeLocaleMessage(locale, (await sources[part][locale]()).default)
  loaded.add(key)
}

/** Show the app in `locale` once its texts have arrived. */
export async function showLocale(locale: Locale): Promise<void> {
  await Promise.all([...parts].map((part) => load(locale, part)))
  i18n.global.locale.value = locale
}

/** The user's explicit choice: kept, and preferred over the browser's languages from now on. */
export async function setLocale(locale: Locale): Promise<void> {
  localStorage.setItem(STORAGE_KEY, locale)
  await showLocale(locale)
}

/** The desk's texts (and the server's, which it shows too), before its first screen. */
export async function loadDeskCatalog(): Promise<void> {
  parts.add('desk')
  await load(currentLocale(), 'desk')
}

/** A face's own texts (the field app's: it passes its own imports, so that its catalog is a chunk
 * of that face, not the citizen app's), before its first screen and in every language shown later. */
export async function loadCatalogPart(part: string, from: CatalogSources): Promise<void> {
  sources[part] ??= from
  parts.add(part)
  await load(currentLocale(), part)
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}
