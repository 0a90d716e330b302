// Vant's own texts (a date picker's "Confirm", ...) in the app's language: loaded once it is English.
import Locale from 'vant/es/locale'
import vantEnUS from 'vant/es/locale/lang/en-US'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import type { Locale as AppLocale } from './locale'

export function useVantLocale(locale: AppLocale): void {
  if (locale === 'en') Locale.use('en-US', vantEnUS)
  else Locale.use('zh-CN', vantZhCN)
}
