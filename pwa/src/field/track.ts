// The patrol track's logic, apart from the browser's sensors: which positions to keep, how far they
// go, and sending the buffer in batches of at most 1,000 points, each with the batch_id it was cut
// with, until the server has them all. Tested with a fake IndexedDB (track.test.ts).
import { isRefusal } from '../outbox/http'
import { ApiError } from '../problem'
import type { Batch, FieldDb, TrackPoint } from './db'

const EARTH_RADIUS_M = 6_371_008.8
/** Positions closer than this in time and space add nothing to a walked track. */
const MIN_INTERVAL_S = 5
const MIN_MOVE_M = 5
/** No position for this long while on shift: the track has a gap (screen off, app closed, no fix). */
export const GAP_S = 120

/** Great-circle distance in metres. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Keep a new position unless it repeats the last one kept: the same second, or within a few seconds
 * and a few metres of it. */
export function keepPoint(last: TrackPoint | null, next: TrackPoint): boolean {
  if (!last) return true
  const seconds = (Date.parse(next.at) - Date.parse(last.at)) / 1000
  if (seconds < 1) return false
  return seconds >= MIN_INTERVAL_S || distanceM(last, next) >= MIN_MOVE_M
}

/** Whether the track broke off between two kept positions. */
export function isGap(last: TrackPoint | null, next: TrackPoint): boolean {
  return !!last && (Date.parse(next.at) - Date.parse(last.at)) / 1000 > GAP_S
}

/** The distance a new position adds: none across a gap (no one knows the way taken), nor for a jump
 * smaller than the fixes' own uncertainty. */
export function stepM(last: TrackPoint | null, next: TrackPoint): number {
  if (!last || isGap(last, next)) return 0
  const step = distanceM(last, next)
  const noise = Math.max(last.accuracy_m ?? 0, next.accuracy_m ?? 0)
  return step > noise ? step : 0
}

/** The server's refusal of a batch; `bad` are the indexes of the points it named (fields points[i]). */
export class BatchRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly bad: number[],
  ) {
    super(message)
  }
}

/** A problem's `fields: [{name: "points[3]"}]`, as the indexes it names. */
export function badPoints(problem: unknown): number[] {
  const fields = (problem as { fields?: { name?: unknown }[] } | null)?.fields ?? []
  return fields.flatMap((field) => {
    const match = /^points\[(\d+)\]/.exec(String(field?.name ?? ''))
    return match ? [Number(match[1])] : []
  })
}

export interface TrackTransport {
  sendBatch(shiftId: string, body: { batch_id: string; points: TrackPoint[] }): Promise<{ stored: number; duplicate: boolean }>
}

export interface UploadResult {
  /** Points the server stored in this round. */
  stored: number
  /** Points it refused one by one (out of range, in the future, outside the shift): dropped. */
  dropped: number
  /** The round stopped early: offline, the server busy, or the session ended. */
  interrupted: boolean
}

/** Not "no" for good: offline, a 5xx, "not now" (408, 425, 429), and a session that ran out (401) or
 * a role taken away (403), which a sign-in mends. The points wait. */
function tryLater(error: unknown): boolean {
  if (error instanceof BatchRefused || error instanceof ApiError) {
    return !isRefusal(error.status) || error.status === 401 || error.status === 403
  }
  return true
}

async function sendBatch(
  db: FieldDb,
  transport: TrackTransport,
  batch: Batch,
  newId: () => string,
  result: UploadResult,
): Promise<void> {
  try {
    const answer = await transport.sendBatch(batch.shiftId, { batch_id: batch.batchId, points: batch.points })
    await db.removeBatch(batch.batchId)
    result.stored += answer.stored
  } catch (error) {
    if (tryLater(error)) {
      await db.putBatch({ ...batch, attempts: batch.attempts + 1 })
      throw error
    }
    const refused = error instanceof BatchRefused ? error : null
    const bad = new Set(refused?.bad.filter((index) => index >= 0 && index < batch.points.length) ?? [])
    if (bad.size) {
      // The rest of the batch is good: it goes again at once, as a new batch (its content changed).
      result.dropped += bad.size
      const rest = batch.points.filter((_, index) => !bad.has(index))
      if (!rest.length) {
        await db.removeBatch(batch.batchId)
        return
      }
      const next: Batch = { ...batch, batchId: newId(), points: rest, attempts: 0 }
      await db.replaceBatch(batch.batchId, next)
      await sendBatch(db, transport, next, newId, result)
      return
    }
    // Refused as a whole (another inspector's shift, say): kept and shown, not sent again by itself.
    const { code, message } = error as { code?: string; message?: string }
    await db.putBatch({ ...batch, refusal: { code: code ?? 'refused', message: message ?? '' } })
  }
}

let running: Promise<UploadResult> | null = null

/** Send everything the phone holds of the track: the batches already cut first (with their own
 * batch_id), then the buffer, cut into batches of at most `max` points. One round at a time: the
 * timer, the connection coming back and the app going to the background may all ask at once. */
export function uploadTrack(
  db: FieldDb,
  transport: TrackTransport,
  newId: () => string = () => crypto.randomUUID(),
  max?: number,
): Promise<UploadResult> {
  running ??= uploadAll(db, transport, newId, max).finally(() => {
    running = null
  })
  return running
}

async function uploadAll(db: FieldDb, transport: TrackTransport, newId: () => string, max?: number): Promise<UploadResult> {
  const result: UploadResult = { stored: 0, dropped: 0, interrupted: false }
  try {
    for (const batch of await db.batches()) {
      if (!batch.refusal) await sendBatch(db, transport, batch, newId, result)
    }
    for (let batch = await db.cutBatch(newId, max); batch; batch = await db.cutBatch(newId, max)) {
      await sendBatch(db, transport, batch, newId, result)
    }
  } catch {
    result.interrupted = true
  }
  return result
}
