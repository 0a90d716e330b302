// The outbox's transport over fetch, for the service worker: no window, no localStorage, so the
// token and language come from the queued report itself.
import { Refused, type Transport } from './sender'
import type { QueuedReport } from './store'

/** Client errors are refusals to show the user; anything else (offline, 5xx) is tried again later. */
export function isRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429
}

async function send<T>(
  path: string,
  report: QueuedReport,
  init: RequestInit & { headers?: Record<string, string> },
): Promise<T> {
  // Queued offline before this phone had a token: the page registers one and sends it itself.
  if (!report.token) throw new Error('no token yet')
  const response = await fetch(path, {
    ...init,
    headers: { Authorization: `Bearer ${report.token}`, 'Accept-Language': report.locale, ...init.headers },
  })
  if (response.ok) return (await response.json()) as T
  const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string }
  if (isRefusal(response.status)) throw new Refused(problem.code ?? 'http_error', problem.detail ?? response.statusText)
  throw new Error(`HTTP ${response.status}`)
}

export const fetchTransport: Transport = {
  async uploadPhoto(photo, report) {
    const form = new FormData()
    form.append('file', photo.blob, `${photo.id}.jpg`)
    const answer = await send<{ id: string }>('/api/v1/uploads', report, {
      method: 'POST',
      body: form,
      headers: { 'Idempotency-Key': photo.id },
    })
    return answer.id
  },
  submitReport(body, report) {
    return send('/api/v1/requests', report, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    })
  },
}
