// The unread count of each face's inbox, for the badge on its nav entry: asked when the face starts,
// every minute while the page is shown, at once when it is shown again, and whenever the service worker
// has shown or opened a notification (src/swBridge.ts). Notifications tapped in the system's list are
// marked read here, by the face they belong to.
import { onMounted, onUnmounted, reactive } from 'vue'
import { markRead, type NoticeClient, unreadCount } from './notices'
import type { Face } from './pushWorker'
import { NOTICES_CHANGED, takeTapped } from './swBridge'
import { refreshWhileVisible } from './visibleRefresh'

export const UNREAD_EVERY_MS = 60_000
export const unread = reactive<Record<Face, number>>({ citizen: 0, field: 0, staff: 0 })

/** Follow the unread count of `client`'s face while the calling component is mounted, and while
 * `active` says so (App.vue is mounted on every face). Returns the refresh, to call when it turns active. */
export function followUnread(client: NoticeClient, active: () => boolean = () => true): () => Promise<void> {
  async function refresh(): Promise<void> {
    if (!active()) return
    try {
      const tapped = takeTapped(client.face)
      unread[client.face] = tapped.length ? await markRead(client, tapped) : await unreadCount(client)
    } catch {
      // offline, or a server without the inbox yet: the badge keeps its last count
    }
  }
  const onChanged = (): void => void refresh()
  refreshWhileVisible(refresh, UNREAD_EVERY_MS)
  onMounted(() => {
    void refresh()
    window.addEventListener(NOTICES_CHANGED, onChanged)
  })
  onUnmounted(() => window.removeEventListener(NOTICES_CHANGED, onChanged))
  return refresh
}
