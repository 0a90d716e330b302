// The inbox (消息) of whoever uses a face of the app, under that face's own token (the citizen's device
// or phone token here; the field app's and the desk's in their session modules): a page of messages,
// newest first, and marking them read.
import { call, token } from './api'
import type { Face } from './pushWorker'

export type { Face }

/** How a face calls the API with its own token. */
export interface NoticeClient {
  face: Face
  call<T>(method: string, path: string, body?: unknown): Promise<T>
  /** False while there is nobody to ask about: a phone that never reported has no token yet, and
   * asking would register one. */
  hasToken?(): boolean
}

/** One message, its title and body in the language asked for (Accept-Language). */
export interface Notice {
  id: string
  kind: string
  title: string
  body: string
  /** A path of the app: /requests/<id>, /field/tasks/<id>, /staff/cases/<id>… */
  url: string
  case_id: string | null
  task_id: string | null
  created_at: string
  read_at: string | null
}

export interface NoticePage {
  items: Notice[]
  next_cursor: string | null
  unread: number
}

export const PAGE_SIZE = 20

export const citizenNotices: NoticeClient = {
  face: 'citizen',
  call: (method, path, body) => call(method, path, body),
  hasToken: () => token() !== null,
}

/** A page of messages, newest first: the first one, or the one after `cursor` (keyset). */
export async function noticesPage(client: NoticeClient, cursor: string | null = null, limit = PAGE_SIZE): Promise<NoticePage> {
  if (client.hasToken?.() === false) return { items: [], next_cursor: null, unread: 0 }
  const query = new URLSearchParams({ limit: String(limit) })
  if (cursor) query.set('cursor', cursor)
  return client.call<NoticePage>('GET', `/api/v1/notifications?${query}`)
}

export async function unreadCount(client: NoticeClient): Promise<number> {
  return (await noticesPage(client, null, 1)).unread
}

/** Mark some messages read, or all: the unread count left. */
export async function markRead(client: NoticeClient, ids: string[] | 'all'): Promise<number> {
  const body = ids === 'all' ? { all: true } : { ids }
  return (await client.call<{ unread: number }>('POST', '/api/v1/notifications/read', body)).unread
}
