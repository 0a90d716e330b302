// The shift and its track while the app runs: clocking in and out, following the position
// (watchPosition) into the IndexedDB buffer, keeping the screen awake (a page records nothing with the
// screen off), and sending the buffer every 30 s, when the connection returns and when the app goes
// to the background. One state for every screen of the field app.
import { reactive, toRaw } from 'vue'
import { problemOf } from '../problem'
import { type BufferedPoint, fieldDb, MAX_BATCH, type TrackPoint } from './db'
import { currentPosition } from './position'
import { readThrough } from './offline'
import { authHeaders, fieldCall, fieldToken } from './session'
import { BatchRefused, badPoints, isGap, keepPoint, stepM, type TrackTransport, uploadTrack } from './track'
import type { Point, ShiftOut } from './types'

const UPLOAD_EVERY_MS = 30_000
/** The line drawn on the shift's map: the latest positions, thinned out beyond this many. */
const LINE_POINTS = 2000
const SHIFTS_PATH = '/api/v1/field/shifts?limit=20'

interface TrackState {
  last: TrackPoint | null
  distance: number
  gaps: number
  line: [number, number][]
}

export const patrol = reactive({
  shift: null as ShiftOut | null,
  /** Positions are followed (watchPosition), for the open shift. */
  tracking: false,
  position: null as (Point & { at: string }) | null,
  locationFailed: false,
  /** The Screen Wake Lock: on while patrolling if the browser has it and grants it. */
  wakeLock: 'off' as 'on' | 'off' | 'unsupported',
  /** Points on the phone the server does not have yet; refused ones apart. */
  waitingPoints: 0,
  refusedPoints: 0,
  lastUploadAt: null as string | null,
  track: { last: null, distance: 0, gaps: 0, line: [] } as TrackState,
  started: false,
  /** The shift has been read (from the server, or the copy kept offline) since the app opened: until
   * then the clock button cannot tell clocking in from clocking out. */
  known: false,
})

const onShift = (): boolean => !!patrol.shift && !patrol.shift.ended_at
const trackKey = (shiftId: string): string => `track:${shiftId}`

let watchId: number | null = null
let sentinel: WakeLockSentinel | null = null
let timer: number | undefined

const transport: TrackTransport = {
  async sendBatch(shiftId, body) {
    const response = await fetch(`/api/v1/field/shifts/${shiftId}/points`, {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
    })
    const text = await response.text()
    if (response.ok) return JSON.parse(text) as { stored: number; duplicate: boolean }
    const problem = problemOf(response.status, text, response.statusText)
    let parsed: unknown = null
    try {
      parsed = JSON.parse(text)
    } catch {
      // not problem+json
    }
    throw new BatchRefused(response.status, problem.code, problem.message, badPoints(parsed))
  },
}

async function countPoints(): Promise<void> {
  const db = await fieldDb()
  const [buffered, batched] = await Promise.all([db.pointCount(), db.batchedCount()])
  patrol.waitingPoints = buffered + batched.waiting
  patrol.refusedPoints = batched.refused
}

/** Send the track's buffer now (nothing to do without a session: it waits for the next sign-in). */
export async function uploadNow(): Promise<void> {
  if (!fieldToken()) return
  const result = await uploadTrack(await fieldDb(), transport)
  await countPoints()
  if (!result.interrupted) patrol.lastUploadAt = new Date().toISOString()
  if (result.stored) await refreshShift().catch(() => undefined)
}

async function loadTrack(shiftId: string): Promise<void> {
  const kept = await (await fieldDb()).cached<TrackState>(trackKey(shiftId))
  patrol.track = kept?.value ?? { last: null, distance: 0, gaps: 0, line: [] }
}

async function saveTrack(shiftId: string): Promise<void> {
  // A plain copy: IndexedDB cannot store Vue's reactive proxies.
  const { last, distance, gaps, line } = toRaw(patrol.track)
  await (await fieldDb()).cache(trackKey(shiftId), {
    last: last ? { ...toRaw(last) } : null,
    distance,
    gaps,
    line: toRaw(line).map(([lat, lng]) => [lat, lng]),
  })
}

async function onPosition(position: GeolocationPosition): Promise<void> {
  const point: TrackPoint = {
    at: new Date(position.timestamp || Date.now()).toISOString(),
    lat: position.coords.latitude,
    lng: position.coords.longitude,
    accuracy_m: Number.isFinite(position.coords.accuracy) ? Math.round(position.coords.accuracy * 10) / 10 : null,
    speed_mps: position.coords.speed ?? null,
  }
  patrol.position = { lat: point.lat, lng: point.lng, accuracy_m: point.accuracy_m, at: point.at }
  patrol.locationFailed = false
  const shift = patrol.shift
  if (!shift || shift.ended_at || Date.parse(point.at) < Date.parse(shift.started_at)) return
  const track = patrol.track
  if (!keepPoint(track.last, point)) return
  if (isGap(track.last, point)) track.gaps += 1
  track.distance += stepM(track.last, point)
  track.last = point
  track.line.push([point.lat, point.lng])
  if (track.line.length > LINE_POINTS) track.line = track.line.filter((_, index) => index % 2 === 0)
  const buffered: BufferedPoint = { ...point, shiftId: shift.id }
  await (await fieldDb()).addPoint(buffered)
  await saveTrack(shift.id)
  patrol.waitingPoints += 1
  if (patrol.waitingPoints >= MAX_BATCH) void uploadNow().catch(() => undefined)
}

/** Keep the screen on while patrolling: with it off the browser stops the page, and the track. */
async function holdScreen(): Promise<void> {
  if (!('wakeLock' in navigator)) {
    patrol.wakeLock = 'unsupported'
    return
  }
  if (sentinel || document.visibilityState !== 'visible') return
  try {
    sentinel = await navigator.wakeLock.request('screen')
    patrol.wakeLock = 'on'
    sentinel.addEventListener('release', () => {
      sentinel = null
      patrol.wakeLock = 'off'
    })
  } catch {
    patrol.wakeLock = 'off'
  }
}

function startTracking(): void {
  if (patrol.tracking || !('geolocation' in navigator)) return
  patrol.tracking = true
  watchId = navigator.geolocation.watchPosition(
    (position) => void onPosition(position),
    () => (patrol.locationFailed = true),
    { enableHighAccuracy: true, maximumAge: 0, timeout: 30_000 },
  )
  void holdScreen()
}

function stopTracking(): void {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId)
  watchId = null
  patrol.tracking = false
  void sentinel?.release().catch(() => undefined)
  sentinel = null
  if (patrol.wakeLock === 'on') patrol.wakeLock = 'off'
}

async function setShift(shift: ShiftOut | null): Promise<void> {
  const changed = shift?.id !== patrol.shift?.id
  patrol.shift = shift
  if (shift && changed) await loadTrack(shift.id)
  if (shift && !shift.ended_at) startTracking()
  else stopTracking()
}

/** The newest shift from the server (or as last seen, offline). */
export async function refreshShift(): Promise<void> {
  const read = await readThrough<{ items: ShiftOut[] }>(SHIFTS_PATH)
  await setShift(read.data.items[0] ?? null)
}

/** The inspector's recent shifts, newest first (the open one first). */
export async function recentShifts(): Promise<ShiftOut[]> {
  return (await readThrough<{ items: ShiftOut[] }>(SHIFTS_PATH)).data.items
}

function onVisibility(): void {
  if (document.visibilityState === 'visible') {
    if (patrol.tracking) void holdScreen()
  }
  // Going to the background (the page may be stopped or closed) or back: send what is buffered.
  void uploadNow().catch(() => undefined)
}

function onOnline(): void {
  void uploadNow().catch(() => undefined)
}

/** When the field app opens: the open shift goes on being tracked, and the buffer left by an earlier
 * run (the app closed, the phone offline) is sent. */
export async function startPatrol(): Promise<void> {
  if (patrol.started) return
  patrol.started = true
  document.addEventListener('visibilitychange', onVisibility)
  window.addEventListener('online', onOnline)
  timer = window.setInterval(() => {
    if (patrol.waitingPoints) void uploadNow().catch(() => undefined)
  }, UPLOAD_EVERY_MS)
  await countPoints()
  await refreshShift().catch(() => undefined)
  patrol.known = true
  void uploadNow().catch(() => undefined)
}

/** At sign-out: stop following the position. The buffer stays for this inspector's next session. */
export function stopPatrol(): void {
  stopTracking()
  document.removeEventListener('visibilitychange', onVisibility)
  window.removeEventListener('online', onOnline)
  window.clearInterval(timer)
  patrol.started = false
  patrol.known = false
  patrol.shift = null
  patrol.position = null
}

/** 上班打卡: with the position now. Needs the server (the shift's id comes from it). */
export async function clockIn(): Promise<void> {
  const location = await currentPosition()
  const shift = await fieldCall<ShiftOut>('POST', '/api/v1/field/shifts', { location })
  await setShift(shift)
  await refreshShift().catch(() => undefined)
}

/** 下班打卡: the buffer goes first, then the shift ends with the position now. Points recorded before
 * the end that are still on the phone are sent later all the same. */
export async function clockOut(): Promise<void> {
  const shift = patrol.shift
  if (!shift) return
  const location = await currentPosition().catch(() => (patrol.position ? { ...patrol.position, at: undefined } : null))
  await uploadNow().catch(() => undefined)
  const point = location ? { lat: location.lat, lng: location.lng, accuracy_m: location.accuracy_m } : shift.start
  const ended = await fieldCall<ShiftOut>('POST', `/api/v1/field/shifts/${shift.id}/end`, { location: point })
  await setShift(ended)
  await refreshShift().catch(() => undefined)
  void uploadNow().catch(() => undefined)
}

/** The distance walked on this shift: the server's, or what this phone measured if more is waiting. */
export function shiftDistance(): number {
  return Math.max(patrol.shift?.distance_m ?? 0, patrol.track.distance)
}

export function isOnShift(): boolean {
  return onShift()
}
