// The app's outbox: the store, a transport over the API, and the moments it sends.
import { call, ensureToken, problemOf, requestHeaders } from '../api'
import { uploadName, uploadPath } from './field'
import { fetchTransport, refusalOf } from './http'
import { flush, type FlushResult, type Transport } from './sender'
import { isFieldItem, OutboxStore, type Queued, type QueuedPhoto, type QueuedReport, type SentReceipt } from './store'

export interface UploadProgress {
  clientId: string
  photoId: string
  fraction: number
}

let opened: Promise<OutboxStore> | null = null

export function outbox(): Promise<OutboxStore> {
  opened ??= OutboxStore.open()
  return opened
}

/** XMLHttpRequest rather than fetch: only it reports upload progress, which a slow phone needs to see.
 * A field item's files go under the token it was queued with (the field app's), not the phone's. */
async function upload(photo: QueuedPhoto, report: Queued): Promise<string> {
  const headers = isFieldItem(report)
    ? { 'Accept-Language': report.locale, Authorization: `Bearer ${report.token}`, 'Idempotency-Key': photo.id }
    : await requestHeaders(true, { 'Idempotency-Key': photo.id })
  if (isFieldItem(report) && !report.token) throw new Error('no token yet')
  const form = new FormData()
  form.append('file', photo.blob, uploadName(photo))
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', uploadPath(photo))
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value)
    request.upload.onprogress = (event) => {
      if (!event.lengthComputable) return
      const detail: UploadProgress = { clientId: report.clientId, photoId: photo.id, fraction: event.loaded / event.total }
      window.dispatchEvent(new CustomEvent('outbox-progress', { detail }))
    }
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) resolve((JSON.parse(request.responseText) as { id: string }).id)
      else reject(problemOf(request.status, request.responseText, request.statusText))
    }
    request.onerror = () => reject(new TypeError('network error'))
    request.ontimeout = () => reject(new TypeError('timeout'))
    request.send(form)
  })
}

const transport: Transport = {
  async uploadPhoto(photo, report) {
    try {
      return await upload(photo, report)
    } catch (error) {
      throw refusalOf(error)
    }
  },
  async submitReport(body) {
    try {
      return await call<{ id: string; tracking_no: string }>('POST', '/api/v1/requests', body)
    } catch (error) {
      throw refusalOf(error)
    }
  },
  // Under the item's own token, as the service worker sends it.
  submitField: fetchTransport.submitField,
}

/** The citizen's reports that wait (the field app's items are listed in the field app). */
export async function waitingReports(): Promise<QueuedReport[]> {
  return (await (await outbox()).all()).filter((item): item is QueuedReport => !isFieldItem(item))
}

export async function sendWaiting(): Promise<FlushResult> {
  const store = await outbox()
  const waiting = (await store.all()).filter((item) => !isFieldItem(item))
  if (waiting.length) {
    // Reports queued before this phone had a token, or before signing in, go under the current one.
    // (The field app's items keep the inspector's token: src/field/queue.ts.)
    const current = await ensureToken()
    for (const report of waiting) {
      if (report.token !== current) await store.put({ ...report, token: current })
    }
  }
  const result = await flush(store, transport)
  window.dispatchEvent(new CustomEvent('outbox-changed'))
  return result
}

/** The user's "try again" on a refused report (after the cause is fixed, e.g. signed in). */
export async function retry(clientId: string): Promise<void> {
  const store = await outbox()
  const report = await store.get(clientId)
  if (report) await store.put({ ...report, refusal: undefined })
  await sendWaiting()
}

/** Reports queued under a token that was just signed out keep waiting, for the next token: the page
 * stamps them with its own when it sends (sendWaiting), and the service worker, which cannot know
 * that one, leaves an unstamped report for the page. The receipts of what it sent go, as that
 * account's other answers do. */
export async function releaseToken(value: string): Promise<void> {
  const store = await outbox()
  for (const report of await store.all()) {
    if (report.token === value && !isFieldItem(report)) await store.put({ ...report, token: '' })
  }
  for (const receipt of await store.sent()) {
    if (receipt.token === value) await store.forgetSent(receipt.clientId)
  }
}

/** A "sent, your number is …" notice stays until the user has seen it (dismissed or opened the
 * request), or at most this long. */
const RECEIPT_DAYS = 7

/** Receipts of reports sent from this phone that the user has not dismissed yet, oldest first. */
export async function sentReceipts(now = Date.now()): Promise<SentReceipt[]> {
  const store = await outbox()
  const kept: SentReceipt[] = []
  for (const receipt of await store.sent()) {
    if (now - Date.parse(receipt.sentAt) > RECEIPT_DAYS * 86_400_000) await store.forgetSent(receipt.clientId)
    else kept.push(receipt)
  }
  return kept
}

export async function dismissReceipt(clientId: string): Promise<void> {
  await (await outbox()).forgetSent(clientId)
  window.dispatchEvent(new CustomEvent('outbox-changed'))
}

export async function discard(clientId: string): Promise<void> {
  await (await outbox()).remove(clientId)
  window.dispatchEvent(new CustomEvent('outbox-changed'))
}

/** Ask the service worker to send the outbox once the connection is back, even if the app is closed
 * by then (Background Sync, where the browser has it). */
export async function requestBackgroundSync(): Promise<void> {
  const registration = (await navigator.serviceWorker?.ready) as
    | (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })
    | undefined
  await registration?.sync?.register('outbox').catch(() => undefined)
}

/** Send on app start and whenever the connection comes back; hear when the service worker sent. */
export function startSending(): void {
  void sendWaiting().catch(() => undefined)
  window.addEventListener('online', () => void sendWaiting().catch(() => undefined))
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data === 'outbox-changed') window.dispatchEvent(new CustomEvent('outbox-changed'))
  })
}
