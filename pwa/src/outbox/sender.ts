// Sends what waits in the outbox, oldest first: photos (each once, by its Idempotency-Key), then
// the report with its client_id. A network failure stops the round and leaves everything queued.
import { fieldBody } from './field'
import { isFieldItem, type OutboxStore, type Queued, type QueuedFieldItem, type QueuedPhoto, type QueuedReport, type ReportBody } from './store'

export interface Sent {
  clientId: string
  id: string
  trackingNo: string
}

/** How the sender reaches the server; the app passes fetch-based calls, the tests their own. */
export interface Transport {
  uploadPhoto(photo: QueuedPhoto, report: Queued): Promise<string>
  submitReport(
    body: ReportBody & { client_id: string; photo_ids: string[] },
    report: QueuedReport,
  ): Promise<{ id: string; tracking_no: string }>
  /** An inspector's item to its path; a transport without it leaves those queued. */
  submitField?(body: Record<string, unknown>, item: QueuedFieldItem): Promise<{ id: string; tracking_no: string }>
}

/** A final refusal from the server (a 4xx but 408, 425 and 429; see isRefusal in http.ts): sending
 * again unchanged cannot succeed. Any other error leaves the report queued for the next round. */
export class Refused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface FlushResult {
  sent: Sent[]
  /** True when the round stopped early because the server could not be reached. */
  interrupted: boolean
}

let running: Promise<FlushResult> | null = null

/** One round at a time: the online event, app start and Background Sync may all ask at once. */
export function flush(store: OutboxStore, transport: Transport): Promise<FlushResult> {
  running ??= sendAll(store, transport).finally(() => {
    running = null
  })
  return running
}

async function sendAll(store: OutboxStore, transport: Transport): Promise<FlushResult> {
  const sent: Sent[] = []
  for (const report of await store.all()) {
    if (report.refusal) continue
    try {
      sent.push(await sendOne(store, transport, report))
    } catch (error) {
      // Re-read: the photos uploaded before the failure are recorded there and must stay so.
      const current = (await store.get(report.clientId)) ?? report
      if (error instanceof Refused) {
        await store.put({ ...current, refusal: { code: error.code, message: error.message } })
        continue
      }
      await store.put({ ...current, attempts: current.attempts + 1 })
      return { sent, interrupted: true }
    }
  }
  return { sent, interrupted: false }
}

async function sendOne(store: OutboxStore, transport: Transport, report: Queued): Promise<Sent> {
  const photos = [...report.photos]
  for (const [index, photo] of photos.entries()) {
    if (photo.uploadedId) continue
    photos[index] = { ...photo, uploadedId: await transport.uploadPhoto(photo, report) }
    // Remember each upload at once: after a crash only the missing photos are sent again.
    await store.put({ ...report, photos })
  }
  if (isFieldItem(report)) {
    if (!transport.submitField) throw new Error('this transport cannot send the field app’s items')
    const answer = await transport.submitField(fieldBody(report, photos), report)
    // The field app shows the server's own lists (tasks, my reports): no receipt to keep.
    await store.remove(report.clientId)
    return { clientId: report.clientId, id: answer.id, trackingNo: answer.tracking_no }
  }
  const answer = await transport.submitReport(
    { ...report.body, client_id: report.clientId, photo_ids: photos.map((photo) => photo.uploadedId as string) },
    report,
  )
  await store.markSent({
    clientId: report.clientId,
    id: answer.id,
    trackingNo: answer.tracking_no,
    sentAt: new Date().toISOString(),
    token: report.token,
    description: report.body.description,
  })
  return { clientId: report.clientId, id: answer.id, trackingNo: answer.tracking_no }
}
