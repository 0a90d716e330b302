// The field API's answers as the field app reads them (backend/field: the msgspec Structs are the source).

export interface Point {
  lat: number
  lng: number
  accuracy_m: number | null
}

export interface GridOut {
  code: string
  name: string
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
}

export interface ShiftOut {
  id: string
  started_at: string
  ended_at: string | null
  start: Point
  end: Point | null
  distance_m: number
  points: number
  last_point_at: string | null
}

export type TaskKind = 'verify' | 'check'
export type Outcome = 'confirmed' | 'not_found' | 'pass' | 'fail'

export interface TaskCase {
  id: string
  tracking_no: string
  status: string
  status_name: string
  category_code: string | null
  category_name: string | null
  description: string
  address: string | null
  location: Point
  version: number
  photos: { id: string; thumb_url: string; display_url: string }[]
}

export interface TaskOut {
  id: string
  kind: TaskKind
  status: 'open' | 'done' | 'cancelled'
  assigned_at: string
  due_at: string | null
  overdue: boolean
  outcome: Outcome | null
  completed_at: string | null
  note: string | null
  case: TaskCase
}

export interface PositionCheck {
  flagged: boolean
  distance_m: number | null
  reasons: string[]
}

export interface FieldReportOut {
  id: string
  tracking_no: string
  status: string
  status_name: string
  category_code: string
  category_name: string
  description: string
  address: string | null
  location: Point
  created_at: string
  self_handled: boolean
  thumb_url: string | null
  position_check: PositionCheck | null
}

// What the field app queues as a report's or a task result's body (backend/field/schemas.py:
// FieldReportIn, TaskResultIn); the outbox adds client_id and the ids of the uploaded files as it sends
// (src/outbox/field.ts), the same on every retry. recorded_at: when the phone made it, set as the
// inspector submits it; one queued offline arrives later, and the server checks its photos and the
// track at this time.

export interface FieldReportBody {
  category_code: string
  description: string
  location: Point
  address: string | null
  device_location: Point | null
  self_handled: boolean
  recorded_at: string
}

export interface TaskResultBody {
  outcome: Outcome
  note: string | null
  location: Point | null
  recorded_at: string
}

export interface RollCall {
  id: string
  asked_at: string
  asked_by_name: string
  answered_at: string | null
}

/** The outcomes each kind of task takes: 核实 confirmed or not found, 核查 pass or fail. */
export const OUTCOMES: Record<TaskKind, Outcome[]> = {
  verify: ['confirmed', 'not_found'],
  check: ['pass', 'fail'],
}

/** A note is required for these outcomes (why it was not found, why it failed). */
export const NOTE_REQUIRED: Outcome[] = ['not_found', 'fail']
/** At least one (after-)photo is required for these. */
export const PHOTO_REQUIRED: Outcome[] = ['pass', 'fail']
