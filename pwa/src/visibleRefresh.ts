// A screen that refreshes itself: every `everyMs` while the tab is shown, at once when it is shown
// again, and never while hidden (a hidden tab asks the server nothing).
import { onMounted, onUnmounted } from 'vue'

export function refreshWhileVisible(refresh: () => unknown, everyMs: number): void {
  let timer = 0
  function schedule(): void {
    window.clearInterval(timer)
    timer = 0
    if (document.visibilityState === 'visible') timer = window.setInterval(() => void refresh(), everyMs)
  }
  function onVisibility(): void {
    if (document.visibilityState === 'visible') void refresh()
    schedule()
  }
  onMounted(() => {
    schedule()
    document.addEventListener('visibilitychange', onVisibility)
  })
  onUnmounted(() => {
    window.clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisibility)
  })
}
