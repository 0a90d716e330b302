// What the service worker tells the open app (src/pushWorker.ts, WorkerMessage): a notification was
// shown (the unread counts are behind), one was tapped (go where it leads, and count it read), the
// push service renewed the subscription (the server must hear of it). Passed on as window events.
import { nextTick } from 'vue'
import type { Router } from 'vue-router'
import { appPath, type Face, faceOfPath } from './pushWorker'

export const NOTICES_CHANGED = 'notices-changed'
export const SUBSCRIPTION_CHANGED = 'push-subscription-changed'

// Notifications tapped in the system's list, until the face they belong to marks them read (src/unread.ts):
// the window that opens for a tap hears of it before its screens are there.
const tapped: { id: string; face: Face }[] = []

/** The ids of the tapped notifications of `face`, each given once. */
export function takeTapped(face: Face): string[] {
  const ids = tapped.filter((entry) => entry.face === face).map((entry) => entry.id)
  tapped.splice(0, tapped.length, ...tapped.filter((entry) => entry.face !== face))
  return ids
}

export function followServiceWorker(router: Router, container: ServiceWorkerContainer | undefined = navigator.serviceWorker): void {
  container?.addEventListener('message', (event: MessageEvent) => {
    const message: unknown = event.data
    if (!message || typeof message !== 'object' || !('type' in message)) return
    const { type, url, id } = message as { type: unknown; url?: unknown; id?: unknown }
    if (type === 'notification') window.dispatchEvent(new CustomEvent(NOTICES_CHANGED))
    else if (type === 'subscription') window.dispatchEvent(new CustomEvent(SUBSCRIPTION_CHANGED))
    else if (type === 'open' || type === 'opened') {
      const path = appPath(url, window.location.origin)
      if (typeof id === 'string') tapped.push({ id, face: faceOfPath(path) })
      // 'opened': the window was opened there already.
      const there = type === 'open' ? router.push(path) : Promise.resolve()
      void there.then(nextTick).then(() => window.dispatchEvent(new CustomEvent(NOTICES_CHANGED)))
    }
  })
}
