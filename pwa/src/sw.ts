/// <reference lib="webworker" />
// The service worker: the precached app shell, cached GETs for offline reading, and Background Sync
// that sends the outbox when the connection returns, even after the app was closed.
import { clientsClaim } from 'workbox-core'
import { ExpirationPlugin } from 'workbox-expiration'
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { CacheFirst, NetworkFirst } from 'workbox-strategies'
import { fetchTransport } from './outbox/http'
import { flush } from './outbox/sender'
import { OutboxStore } from './outbox/store'

declare const self: ServiceWorkerGlobalScope
interface SyncEvent extends ExtendableEvent {
  readonly tag: string
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
// Last-seen lists and categories open offline; fresh data wins whenever the network answers.
registerRoute(
  ({ url, request }) =>
    request.method === 'GET' && url.pathname.startsWith('/api/v1/') && !url.pathname.startsWith('/api/v1/photos/'),
  new NetworkFirst({ cacheName: 'api', networkTimeoutSeconds: 4, plugins: [new ExpirationPlugin({ maxEntries: 100 })] }),
)
// Photo renditions never change under their URL.
registerRoute(
  ({ url }) => url.pathname.startsWith('/api/v1/photos/'),
  new CacheFirst({
    cacheName: 'photos',
    plugins: [new ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 30 * 24 * 3600 })],
  }),
)

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
