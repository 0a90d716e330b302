// Delivery health (admins): what the outbox owes the command-coordination platform, and the platform's
// callbacks that wait for their case. The answers' shapes (backend/coordination/schemas.py) and the
// little logic the screen has, kept apart from the view so that it can be tested on its own.
import { formatWait } from '../wait'

/** pending: never tried yet; failed: tried, retried with backoff; dead: given up after the last attempt. */
export type OutboxState = 'pending' | 'failed' | 'dead'
export const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'failed', 'dead']

export interface OutboxItem {
  event_id: string
  event_type: string
  case_id: string | null
  tracking_no: string | null
  occurred_at: string
  attempts: number
  next_attempt_at: string
  last_error: string | null
  dead_at: string | null
}

export interface OutboxPage {
  counts: Record<OutboxState, number>
  /** When the oldest event still owed happened (dead letters aside); null when nothing is owed. */
  oldest_owed_at: string | null
  items: OutboxItem[]
  /** Where the next page of the same state starts; null on the last page. */
  next_cursor: string | null
}

export interface WaitingCallback {
  event_id: string
  type: string
  case_id: string
  occurred_at: string
  received_at: string
  /** The code of the refusal its last try met (invalid_transition: the case is not there yet). */
  waiting_for: string | null
}

/** How often the screen reloads by itself while it is shown. */
export const REFRESH_MS = 30_000

/** Only events tried at least once can be sent again: a pending one is due already. */
export function replayable(state: OutboxState): boolean {
  return state !== 'pending'
}

export function stateParam(value: unknown): OutboxState | null {
  return OUTBOX_STATES.includes(value as OutboxState) ? (value as OutboxState) : null
}

/** The tab a key moves to in the state switch, a horizontal tab list (the left and right arrows go
 * round, Home and End to the ends), or null for any other key. */
export function stateAfterKey(current: OutboxState, key: string): OutboxState | null {
  const at = OUTBOX_STATES.indexOf(current)
  const last = OUTBOX_STATES.length - 1
  switch (key) {
    case 'ArrowRight':
      return OUTBOX_STATES[at === last ? 0 : at + 1]
    case 'ArrowLeft':
      return OUTBOX_STATES[at === 0 ? last : at - 1]
    case 'Home':
      return OUTBOX_STATES[0]
    case 'End':
      return OUTBOX_STATES[last]
    default:
      return null
  }
}

/** Seconds since `iso` at `now` (ms), never negative (a clock a little behind the server's). */
export function secondsSince(iso: string, now: number): number {
  return Math.max(0, (now - new Date(iso).getTime()) / 1000)
}

/** An age in words: under a day as the app says waits ("2 hours 5 minutes", "2小时5分钟"); from a day
 * on in days and whole hours ("3 days 4 hours", "3天4小时"), not "76 hours". */
export function formatAge(seconds: number, locale: string): string {
  const hours = Math.floor(Math.max(0, seconds) / 3600)
  if (hours < 24) return formatWait(seconds, locale)
  const unit = (name: 'day' | 'hour', value: number): string =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'long' }).format(value)
  const days = Math.floor(hours / 24)
  const rest = hours % 24
  if (rest === 0) return unit('day', days)
  const gap = locale.startsWith('zh') ? '' : ' '
  return `${unit('day', days)}${gap}${unit('hour', rest)}`
}

/** An event as a person names it: its type and, when it is about a case, the case's number. */
export function eventName(item: Pick<OutboxItem, 'event_type' | 'tracking_no'>): string {
  return item.tracking_no ? `${item.event_type} ${item.tracking_no}` : item.event_type
}
