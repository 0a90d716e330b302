import { Locale as VantLocale } from 'vant'
import vantEnUS from 'vant/es/locale/lang/en-US'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import { createApp, watch } from 'vue'
// Vant's styles come per component, with the screen that uses it (see each view's imports).
import App from './App.vue'
import { i18n } from './i18n'
import { startSending } from './outbox'
import { router } from './router'

// Vant's own texts (the cascader's "Select", ...) and the page's lang follow ours, switch included.
watch(
  i18n.global.locale,
  (locale) => {
    document.documentElement.lang = locale
    if (locale === 'en') VantLocale.use('en-US', vantEnUS)
    else VantLocale.use('zh-CN', vantZhCN)
  },
  { immediate: true },
)
createApp(App).use(i18n).use(router).mount('#app')
startSending()
