// The desk's side of the inspectors' day (巡查监督, issue 12): the answers' shapes of /api/v1/staff/
// inspectors, tracks, roll calls, tasks and coverage (backend/field/schemas.py), and the little logic
// the screens have, kept apart from the views so that it can be tested on its own.

export interface Position {
  lat: number
  lng: number
  accuracy_m: number | null
}

export interface Inspector {
  id: string
  username: string
  display_name: string | null
  grid_codes: string[]
  on_shift: boolean
  shift_id: string | null
  last_position: Position | null
  last_position_at: string | null
  /** Seconds since the last position when the server answered: an old one means the phone went quiet. */
  last_position_age_s: number | null
  open_tasks: number
}

export interface Shift {
  id: string
  started_at: string
  ended_at: string | null
  distance_m: number
  points: number
  last_point_at: string | null
}

export interface Track {
  shift: Shift
  inspector_id: string
  /** Simplified for drawing, split where the phone recorded nothing for a while: [lng, lat] pairs. */
  segments: [number, number][][]
  gaps: number
}

export interface RollCall {
  id: string
  inspector_id: string
  inspector_name: string
  asked_at: string
  asked_by_name: string
  answered_at: string | null
  location: Position | null
  photo_url: string | null
}

export type TaskKind = 'verify' | 'check'
export type TaskState = 'open' | 'overdue' | 'done'
export const TASK_STATES: readonly TaskState[] = ['open', 'overdue', 'done']
export type Outcome = 'confirmed' | 'not_found' | 'pass' | 'fail'

export interface Task {
  id: string
  kind: TaskKind
  status: 'open' | 'done' | 'cancelled'
  inspector_id: string
  inspector_name: string
  assigned_at: string
  due_at: string
  overdue: boolean
  outcome: Outcome | null
  completed_at: string | null
  note: string | null
  case: { id: string; tracking_no: string; status: string; status_name: string; category_name: string | null; address: string | null }
}

export interface CoverageRow {
  grid_code: string
  grid_name: string
  inspectors: number
  points: number
  minutes: number
}

export interface GridChoice {
  code: string
  name: string | null
}

/** How often the inspectors' page reloads by itself while it is shown. */
export const REFRESH_MS = 30_000
/** A last position older than this (a phone that stopped sending) is drawn as out of date. */
export const STALE_AFTER_S = 300
/** A verify step of the timeline and the task whose result it was are written in the same moment. */
const SAME_STEP_MS = 60_000

export function inspectorName(inspector: Pick<Inspector, 'display_name' | 'username'>): string {
  return inspector.display_name || inspector.username
}

/** On shift first, then by name: those the desk can call on are at the top. */
export function byShiftThenName(a: Inspector, b: Inspector): number {
  if (a.on_shift !== b.on_shift) return a.on_shift ? -1 : 1
  return inspectorName(a).localeCompare(inspectorName(b), 'zh-CN')
}

/** The age of a position now, from the age the server gave when the page loaded. */
export function ageNow(ageAtLoad: number | null, loadedAt: number, now: number): number | null {
  return ageAtLoad === null ? null : ageAtLoad + Math.max(0, Math.floor((now - loadedAt) / 1000))
}

/** No position, or one older than STALE_AFTER_S. */
export function isStale(age: number | null): boolean {
  return age === null || age > STALE_AFTER_S
}

/** A position's age in words, as the UI's language says it: 45秒钟前, 5分钟前, 2小时前, 3天前; under five
 * seconds, the caller's words for "just now" (刚刚: Intl would say 现在, "now"). */
export function formatPositionAge(seconds: number, locale: string, justNow: string): string {
  const whole = Math.max(0, Math.floor(seconds))
  if (whole < 5) return justNow
  const say = new Intl.RelativeTimeFormat(locale, { numeric: 'always' })
  if (whole < 60) return say.format(-whole, 'second')
  if (whole < 3600) return say.format(-Math.floor(whole / 60), 'minute')
  if (whole < 86_400) return say.format(-Math.floor(whole / 3600), 'hour')
  return say.format(-Math.floor(whole / 86_400), 'day')
}

/** A track's segments as Leaflet draws them ([lat, lng]), each its own line: a gap is never joined. */
export function trackLines(segments: [number, number][][]): [number, number][][] {
  return segments.filter((segment) => segment.length > 0).map((segment) => segment.map(([lng, lat]) => [lat, lng]))
}

/** The task a case in this status may be sent for: 核实 a report not yet taken in, 核查 a handled case. */
export function taskKindFor(status: string): TaskKind | null {
  if (status === 'submitted') return 'verify'
  if (status === 'handled') return 'check'
  return null
}

/** A case's tasks (GET /api/v1/staff/tasks?case_id=), open ones first, newest first within each. */
export function tasksOfCase(tasks: Task[], caseId: string): Task[] {
  const seen = new Set<string>()
  return tasks
    .filter((task) => task.case.id === caseId && !seen.has(task.id) && seen.add(task.id))
    .sort((a, b) => (a.status === 'open') !== (b.status === 'open') ? (a.status === 'open' ? -1 : 1) : b.assigned_at.localeCompare(a.assigned_at))
}

/** The done verify task whose result a timeline step of `occurredAt` records, if any. */
export function verifyTaskAt(tasks: Task[], occurredAt: string): Task | undefined {
  const at = new Date(occurredAt).getTime()
  return tasks.find(
    (task) =>
      task.kind === 'verify' &&
      task.status === 'done' &&
      task.completed_at !== null &&
      Math.abs(new Date(task.completed_at).getTime() - at) <= SAME_STEP_MS,
  )
}

export function taskStateParam(value: unknown): TaskState | null {
  return TASK_STATES.includes(value as TaskState) ? (value as TaskState) : null
}

/** The tab a key moves to in a horizontal tab list (the arrows go round, Home and End go to the
 * ends), or null for any other key. */
export function tabAfterKey<T>(tabs: readonly T[], current: T, key: string): T | null {
  const at = tabs.indexOf(current)
  const last = tabs.length - 1
  switch (key) {
    case 'ArrowRight':
      return tabs[at === last ? 0 : at + 1]
    case 'ArrowLeft':
      return tabs[at <= 0 ? last : at - 1]
    case 'Home':
      return tabs[0]
    case 'End':
      return tabs[last]
    default:
      return null
  }
}

/** The grids the assignment form offers: every unit grid (GET /api/v1/staff/grids) and any grid the
 * inspector covers that the list does not have (a grid since retired), each once, by code. */
export function gridChoices(...sources: GridChoice[][]): GridChoice[] {
  const found = new Map<string, GridChoice>()
  for (const choice of sources.flat()) {
    const known = found.get(choice.code)
    if (!known) found.set(choice.code, { ...choice })
    else if (!known.name && choice.name) known.name = choice.name
  }
  return [...found.values()].sort((a, b) => a.code.localeCompare(b.code))
}

/** The grids whose code or name holds what was typed (any case, spaces around ignored); all of them
 * for nothing typed. */
export function filterGrids(grids: GridChoice[], typed: string): GridChoice[] {
  const wanted = typed.trim().toLocaleLowerCase()
  if (!wanted) return grids
  return grids.filter(
    (grid) => grid.code.toLocaleLowerCase().includes(wanted) || (grid.name ?? '').toLocaleLowerCase().includes(wanted),
  )
}

/** The ISO day `days` before an ISO day. */
export function daysBefore(day: string, days: number): string {
  const [year, month, date] = day.split('-').map(Number)
  return new Date(Date.UTC(year, month - 1, date - days)).toISOString().slice(0, 10)
}

/** A distance in metres as a person reads it: 850 米, 1.2 公里 (the caller's words for each unit). */
export function distanceParts(meters: number): { unit: 'm' | 'km'; value: string } {
  if (meters < 1000) return { unit: 'm', value: String(Math.round(meters)) }
  return { unit: 'km', value: (meters / 1000).toFixed(1) }
}

/** Where an inspector's evidence on a case was taken, against the case's point (flagged, never refused). */
export interface PositionCheck {
  /** What was checked (newer servers say): the inspector's report, or a task's result. */
  kind?: 'report' | 'verify' | 'check'
  created_at?: string
  flagged: boolean
  distance_m: number | null
  photo_distance_m: number | null
  device_distance_m: number | null
  track_distance_m: number | null
  photo_taken_at: string | null
  reasons: string[]
}

/** 录音 with an inspector's report (GET /api/v1/staff/cases/{id}); played through
 * GET /api/v1/staff/voice-notes/{id}. */
export interface VoiceNote {
  id: string
  mime_type: string
  bytes: number
}

/** A recording's size in whole kilobytes as a person reads it, never 0. */
export function voiceNoteKb(bytes: number): number {
  return Math.max(1, Math.round(bytes / 1024))
}

/** One inspector's figures for a period (GET /api/v1/stats/inspectors, 监督员考核). */
export interface InspectorIndicators {
  inspector_id: string
  name: string
  reports: number
  reports_valid: number
  valid_rate: number | null
  verify_due: number
  verify_on_time: number
  verify_on_time_rate: number | null
  check_due: number
  check_on_time: number
  check_on_time_rate: number | null
  patrol_km: number
  patrol_hours: number
}
