// Keeps a face's push subscription in step while the face is shown (src/push.ts: syncPush): at its
// start, when the language changes (the server writes pushes in the subscription's language) and when
// the push service renewed the subscription. The push logic loads only for a face that has push on.
import { onMounted, onUnmounted, watch } from 'vue'
import { currentLocale, i18n } from './i18n'
import type { NoticeClient } from './notices'
import { memoryOf } from './pushState'
import { SUBSCRIPTION_CHANGED } from './swBridge'

export function keepPushInStep(client: NoticeClient, active: () => boolean = () => true): void {
  function sync(): void {
    if (!active() || !memoryOf(client.face).on) return
    void import('./push').then((push) => push.syncPush(client, currentLocale())).catch(() => undefined)
  }
  watch(i18n.global.locale, sync)
  onMounted(() => {
    sync()
    window.addEventListener(SUBSCRIPTION_CHANGED, sync)
  })
  onUnmounted(() => window.removeEventListener(SUBSCRIPTION_CHANGED, sync))
}
