import { createApp } from 'vue'
// Vant's styles come per component, with the screen that uses it (see each view's imports).
import App from './App.vue'
import { i18n } from './i18n'
import { startSending } from './outbox'
import { router } from './router'

document.documentElement.lang = i18n.global.locale.value
createApp(App).use(i18n).use(router).mount('#app')
startSending()
