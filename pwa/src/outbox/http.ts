// The outbox's transport over fetch, for the service worker (and the page, for the field app's items):
// no window, no localStorage, so the token and language come from the queued report itself.
import { ApiError, problemOf } from '../problem'
import { fieldAnswer, uploadName, uploadPath } from './field'
import { Refused, type Transport } from './sender'
import type { Queued } from './store'

/** Answers that say "not now" rather than "no": a timeout (408), too early (425), too many (429). */
const TRY_LATER = new Set([408, 425, 429])

/** A final refusal: a client error (4xx) other than those above. Sending the same report again cannot
 * succeed, so it is parked for the user to act on. Anything else (offline, 5xx, the three above) is
 * tried again later. */
export function isRefusal(status: number): boolean {
  return status >= 400 && status < 500 && !TRY_LATER.has(status)
}

/** What a failed call means to the sender: a Refused for a final refusal, the error as it is otherwise
 * (a network error, a 5xx, a "not now": the round stops and the report is sent again later). */
export function refusalOf(error: unknown): unknown {
  return error instanceof ApiError && isRefusal(error.status) ? new Refused(error.code, error.message) : error
}

async function send<T>(
  path: string,
  report: Queued,
  init: RequestInit & { headers?: Record<string, string> },
): Promise<T> {
  // Queued offline before this phone had a token: the page registers one and sends it itself.
  if (!report.token) throw new Error('no token yet')
  const response = await fetch(path, {
    ...init,
    headers: { Authorization: `Bearer ${report.token}`, 'Accept-Language': report.locale, ...init.headers },
  })
  if (response.ok) return (await response.json()) as T
  const body = await response.text().catch(() => '')
  throw refusalOf(problemOf(response.status, body, response.statusText))
}

export const fetchTransport: Transport = {
  async uploadPhoto(photo, report) {
    const form = new FormData()
    form.append('file', photo.blob, uploadName(photo))
    const answer = await send<{ id: string }>(uploadPath(photo), report, {
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
  async submitField(body, item) {
    const answer = await send<unknown>(item.path, item, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    })
    return fieldAnswer(item, answer)
  },
}
