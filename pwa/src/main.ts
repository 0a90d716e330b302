import { createApp, watch } from 'vue'
// Global styles first: Vant's come per component, with the screen that uses it (see each view's imports).
import './styles.css'
import App from './App.vue'
import './elders'
import { i18n, showLocale, startLocale } from './i18n'
import { activateWithKeys } from './keyboard'
import { router } from './router'
import { followServiceWorker } from './swBridge'

// The page's lang follows ours; Vant's own texts too, once the app has been in English (Vant starts
// in Chinese: nothing to load until then).
let vantFollows = false
watch(i18n.global.locale, (locale) => {
  document.documentElement.lang = locale
  vantFollows ||= locale === 'en'
  if (vantFollows) void import('./vantLocale').then(({ useVantLocale }) => useVantLocale(locale))
})
activateWithKeys()
// A tap on a notification routes the open app; a shown one refreshes the unread counts.
followServiceWorker(router)
// The outbox (IndexedDB) is not part of the first screen's script: it starts sending right after.
void showLocale(startLocale)
  .catch(() => undefined)
  .then(() => {
    document.documentElement.lang = i18n.global.locale.value
    createApp(App).use(i18n).use(router).mount('#app')
    return import('./outbox')
  })
  .then(({ startSending }) => startSending())
