/// <reference lib="webworker" />
// The service worker: the precached app shell, some cached GETs for offline reading, Background Sync
// that sends the outbox when the connection returns, even after the app was closed, and Web Push.
import { clientsClaim } from 'workbox-core'
import { ExpirationPlugin } from 'workbox-expiration'
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { CacheFirst, NetworkFirst } from 'workbox-strategies'
import {
  apiCacheFor,
  FIELD_APP_CACHE,
  isFieldAsset,
  isPhotoRendition,
  LEGACY_API_CACHE,
  OWN_CACHE,
  PHOTO_CACHE,
  PUBLIC_CACHE,
} from './cachePolicy'
import { fetchTransport } from './outbox/http'
import { flush } from './outbox/sender'
import { OutboxStore } from './outbox/store'
import { fetchVapidKey, openNotification, type PushScope, showPush, type WorkerMessage } from './pushWorker'

declare const self: ServiceWorkerGlobalScope
interface SyncEvent extends ExtendableEvent {
  readonly tag: string
}
interface PushSubscriptionChangeEvent extends ExtendableEvent {
  readonly oldSubscription: PushSubscription | null
  readonly newSubscription: PushSubscription | null
}

self.skipWaiting()
clientsClaim()
precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

// Client routes get the app shell; the API, its docs and the health check never do.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/api\//, /^\/schema/, /^\/healthz/],
  }),
)
// Offline reading, from an allowlist (src/cachePolicy.ts): public data, and the citizen's own requests
// (emptied at sign-out). Nothing of the staff desk, admin, audit, stats or auth, and nothing asked for
// with a staff token: the browser keeps Cache Storage on whatever computer ran the desk.
const sameOrigin = (url: URL): boolean => url.origin === self.location.origin
const cacheFor = ({ url, request }: { url: URL; request: Request }): string | null =>
  sameOrigin(url) ? apiCacheFor(url, request.method, request.headers.get('Authorization')) : null
// An answer the server marks no-store is never kept, whatever the path.
const honourNoStore = {
  cacheWillUpdate: async ({ response }: { response: Response }) =>
    response.status === 200 && !/(^|,)\s*no-store\s*(,|$)/i.test(response.headers.get('Cache-Control') ?? '')
      ? response
      : null,
}
for (const cacheName of [PUBLIC_CACHE, OWN_CACHE]) {
  registerRoute(
    (options) => cacheFor(options) === cacheName,
    new NetworkFirst({
      cacheName,
      networkTimeoutSeconds: 4,
      plugins: [honourNoStore, new ExpirationPlugin({ maxEntries: 100 })],
    }),
  )
}
// Photo renditions (stripped public copies) never change under their URL.
registerRoute(
  ({ url, request }) => sameOrigin(url) && isPhotoRendition(url, request.method),
  new CacheFirst({
    cacheName: PHOTO_CACHE,
    plugins: [honourNoStore, new ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 30 * 24 * 3600 })],
  }),
)
// The field app's files (assets/field/, not precached: citizens never load them), kept once an
// inspector's app has loaded them, so that it opens offline from then on. A new build's names are new:
// the old ones age out.
registerRoute(
  ({ url, request }) => sameOrigin(url) && isFieldAsset(url, request.method),
  new CacheFirst({
    cacheName: FIELD_APP_CACHE,
    plugins: [honourNoStore, new ExpirationPlugin({ maxEntries: 120, maxAgeSeconds: 60 * 24 * 3600 })],
  }),
)
// An older service worker kept every GET /api/v1/* in one cache, staff answers included: drop it.
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.delete(LEGACY_API_CACHE))
})

async function sendOutbox(): Promise<void> {
  const store = await OutboxStore.open()
  try {
    const result = await flush(store, fetchTransport)
    for (const client of await self.clients.matchAll()) client.postMessage('outbox-changed')
    // Failing the sync makes the browser try again later, with its own back-off.
    if (result.interrupted) throw new Error('outbox not sent yet')
  } finally {
    store.close()
  }
}

self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent
  if (sync.tag === 'outbox') sync.waitUntil(sendOutbox())
})

// Web Push (src/pushWorker.ts does the work).
const pushScope: PushScope = {
  origin: self.location.origin,
  showNotification: (title, options) => self.registration.showNotification(title, options),
  windows: () => self.clients.matchAll({ type: 'window', includeUncontrolled: true }),
  openWindow: (url) => self.clients.openWindow(url),
}

/** The browser keeps the worker alive until `work` is done. A synthetic event (a test dispatches one)
 * cannot be waited for and throws: the work goes on all the same. */
function keepAlive(event: ExtendableEvent, work: Promise<unknown>): void {
  try {
    event.waitUntil(work)
  } catch {
    work.catch(() => undefined)
  }
}

function pushData(event: PushEvent): unknown {
  try {
    return event.data?.json() ?? null
  } catch {
    return null // not JSON: shown with the app's name, as a message without a title
  }
}

self.addEventListener('push', (event) => keepAlive(event, showPush(pushScope, pushData(event))))

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  keepAlive(event, openNotification(pushScope, event.notification.data))
})

/** The push service renewed or dropped the subscription: subscribe again with the same key, and let
 * an open window tell the server (only the page holds the tokens; a page that opens later does it at
 * its start: src/push.ts, syncPush). */
async function renewSubscription(change: PushSubscriptionChangeEvent): Promise<void> {
  if (!change.newSubscription) {
    const applicationServerKey = change.oldSubscription?.options.applicationServerKey ?? (await fetchVapidKey())
    if (applicationServerKey) await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey })
  }
  const renewed: WorkerMessage = { type: 'subscription' }
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage(renewed)
}

self.addEventListener('pushsubscriptionchange', (event) => {
  keepAlive(event as ExtendableEvent, renewSubscription(event as PushSubscriptionChangeEvent))
})
