// Web Push in the service worker: the notification a push message shows, and where a tap on it leads.
// Free of the app's imports (no Vue, no i18n), so that the service worker bundles it alone and the unit
// tests run it in node; the page uses its small helpers too (appPath, faceOfPath, keyBytes).

/** The face of the app a path belongs to: each has its own token, inbox and window. */
export type Face = 'citizen' | 'field' | 'staff'

/** What the server sends (backend/notify): the message as the inbox has it, and the tag that makes a
 * newer message of the same case replace the older one. */
export interface PushMessage {
  id: string | null
  title: string
  body: string
  url: string
  tag: string | null
  lang: string | null
}

/** The window a tap goes to, as the service worker's Clients API gives it. */
export interface AppWindow {
  url: string
  focused: boolean
  visibilityState: string
  focus(): Promise<unknown>
  postMessage(message: unknown): void
}

/** What the service worker lends the handlers below (self.registration and self.clients). */
export interface PushScope {
  origin: string
  showNotification(title: string, options: NotificationOptions): Promise<void>
  windows(): Promise<readonly AppWindow[]>
  openWindow(url: string): Promise<AppWindow | null>
}

/** The messages a page of the app hears from the service worker (src/swBridge.ts). */
export type WorkerMessage =
  | { type: 'notification' }
  | { type: 'open' | 'opened'; url: string; id: string | null }
  | { type: 'subscription' }

// A message without a title (an old server, a broken payload) must still show something: Chrome
// counts a push that shows nothing against the site.
const FALLBACK_TITLE = '城市服务 City Service'
const ICON = '/icon-192.png'
const BADGE = '/badge-96.png'
const HAN = /[\u3400-\u9fff]/

const text = (value: unknown): string => (typeof value === 'string' ? value : '')

/** A path of this app for what a message or the inbox names: another origin, or anything but a path,
 * goes home instead (a notification must never open someone else's site). */
export function appPath(url: unknown, origin: string): string {
  if (typeof url !== 'string' || !url) return '/'
  try {
    const resolved = new URL(url, origin)
    return resolved.origin === origin ? `${resolved.pathname}${resolved.search}${resolved.hash}` : '/'
  } catch {
    return '/'
  }
}

export function faceOfPath(path: string): Face {
  if (/^\/staff(\/|$)/.test(path)) return 'staff'
  if (/^\/field(\/|$)/.test(path)) return 'field'
  return 'citizen'
}

/** A push message's data (already parsed; null when it was not JSON), with what is missing filled in. */
export function readPush(data: unknown, origin: string): PushMessage {
  const fields = data && typeof data === 'object' ? (data as Record<string, unknown>) : {}
  const title = text(fields.title)
  return {
    id: text(fields.id) || null,
    title: title || FALLBACK_TITLE,
    body: text(fields.body),
    url: appPath(fields.url, origin),
    tag: text(fields.tag) || null,
    lang: text(fields.lang) || null,
  }
}

/** The options of its notification. The server wrote the texts in the subscription's language; a
 * message that does not say which is Chinese when it has Chinese in it (a screen reader reads it so). */
export function notificationOptions(message: PushMessage): NotificationOptions & { renotify?: boolean } {
  return {
    body: message.body,
    icon: ICON,
    badge: BADGE,
    lang: message.lang ?? (HAN.test(message.title + message.body) ? 'zh-CN' : 'en'),
    data: { url: message.url, id: message.id },
    // A newer message about the same case takes the older one's place, and is news again: it sounds
    // and shows as the first did, instead of changing silently in the list.
    ...(message.tag ? { tag: message.tag, renotify: true } : {}),
  }
}

/** The open window a tap should go to: one of the same face (its token and screens are there) before
 * any other, then the one in front, then one that is shown. None of another origin. */
export function windowFor<W extends Pick<AppWindow, 'url' | 'focused' | 'visibilityState'>>(
  windows: readonly W[],
  path: string,
  origin: string,
): W | undefined {
  const ours = windows.filter((window) => {
    try {
      return new URL(window.url).origin === origin
    } catch {
      return false
    }
  })
  const face = faceOfPath(path)
  const rank = (window: W): number =>
    (faceOfPath(new URL(window.url).pathname) === face ? 4 : 0) +
    (window.focused ? 2 : 0) +
    (window.visibilityState === 'visible' ? 1 : 0)
  return [...ours].sort((a, b) => rank(b) - rank(a))[0]
}

/** A push arrived: show it, then tell the open windows, whose unread counts are now behind. */
export async function showPush(scope: PushScope, data: unknown): Promise<void> {
  const message = readPush(data, scope.origin)
  await scope.showNotification(message.title, notificationOptions(message))
  const shown: WorkerMessage = { type: 'notification' }
  for (const window of await scope.windows()) window.postMessage(shown)
}

/** A tap on a notification: the open window of the app goes there (it routes itself: no reload), or
 * a new one opens there. */
export async function openNotification(scope: PushScope, data: unknown): Promise<void> {
  const fields = data && typeof data === 'object' ? (data as Record<string, unknown>) : {}
  const url = appPath(fields.url, scope.origin)
  const id = text(fields.id) || null
  const target = windowFor(await scope.windows(), url, scope.origin)
  if (target) {
    target.postMessage({ type: 'open', url, id } satisfies WorkerMessage)
    // Refused unless a person tapped (a test's synthetic click): the window has its orders all the same.
    await target.focus().catch(() => undefined)
    return
  }
  const opened = await scope.openWindow(url)
  opened?.postMessage({ type: 'opened', url, id } satisfies WorkerMessage)
}

/** An uncompressed P-256 public key (65 bytes, 0x04 first) from its base64url text, as
 * PushManager.subscribe takes it. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')
  const bytes = Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0))
  if (bytes.length !== 65 || bytes[0] !== 4) throw new Error('not an uncompressed P-256 public key')
  return bytes
}

/** The server's VAPID public key, or null when it sends no pushes (503 push_not_configured). */
export async function fetchVapidKey(): Promise<Uint8Array<ArrayBuffer> | null> {
  const response = await fetch('/api/v1/push/vapid-public-key')
  if (response.status === 503) return null
  if (!response.ok) throw new Error(`vapid key: HTTP ${response.status}`)
  return keyBytes(((await response.json()) as { public_key: string }).public_key)
}
