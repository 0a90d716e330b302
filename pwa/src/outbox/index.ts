// The app's outbox: the store, a transport over the API, and the moments it sends.
import { ApiError, call, problemOf, requestHeaders } from '../api'
import { flush, type FlushResult, Refused, type Transport } from './sender'
import { OutboxStore, type QueuedPhoto } from './store'

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

/** Client errors are refusals to show the user; anything else (offline, 5xx) is tried again later. */
function refusalOf(error: unknown): unknown {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500 && ![408, 429].includes(error.status)) {
    return new Refused(error.code, error.message)
  }
  return error
}

/** XMLHttpRequest rather than fetch: only it reports upload progress, which a slow phone needs to see. */
async function upload(photo: QueuedPhoto, clientId: string): Promise<string> {
  const headers = await requestHeaders(true, { 'Idempotency-Key': photo.id })
  const form = new FormData()
  form.append('file', photo.blob, `${photo.id}.jpg`)
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', '/api/v1/uploads')
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value)
    request.upload.onprogress = (event) => {
      if (!event.lengthComputable) return
      const detail: UploadProgress = { clientId, photoId: photo.id, fraction: event.loaded / event.total }
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
  async uploadPhoto(photo, clientId) {
    try {
      return await upload(photo, clientId)
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
}

export async function sendWaiting(): Promise<FlushResult> {
  const result = await flush(await outbox(), transport)
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

export async function discard(clientId: string): Promise<void> {
  await (await outbox()).remove(clientId)
  window.dispatchEvent(new CustomEvent('outbox-changed'))
}

/** Send on app start and whenever the connection comes back. */
export function startSending(): void {
  void sendWaiting().catch(() => undefined)
  window.addEventListener('online', () => void sendWaiting().catch(() => undefined))
}
