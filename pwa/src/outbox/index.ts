// The app's outbox: the store, a transport over the API, and the moments it sends.
import { ApiError, call } from '../api'
import { flush, type FlushResult, Refused, type Transport } from './sender'
import { OutboxStore } from './store'

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

const transport: Transport = {
  async uploadPhoto(photo) {
    const form = new FormData()
    form.append('file', photo.blob, `${photo.id}.jpg`)
    try {
      return (await call<{ id: string }>('POST', '/api/v1/uploads', form, true, { 'Idempotency-Key': photo.id })).id
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

/** Send on app start and whenever the connection comes back. */
export function startSending(): void {
  void sendWaiting().catch(() => undefined)
  window.addEventListener('online', () => void sendWaiting().catch(() => undefined))
}
