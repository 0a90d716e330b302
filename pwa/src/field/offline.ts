// Reading the field API offline: each answer the app shows is kept in the field app's IndexedDB (its
// tasks with their cases, grids, shifts, history), and shown from there when the network fails. (The
// service worker keeps no answer asked with an inspector's token: src/cachePolicy.ts.)
import { ApiError } from '../api'
import { fieldDb } from './db'
import { fieldCall } from './session'

export interface Read<T> {
  data: T
  /** Shown from the phone: the server could not be reached. */
  offline: boolean
  savedAt: string | null
}

/** Not reached: offline, or a server error; a 4xx is an answer. */
export function unreachable(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status >= 500 || error.status === 408 || error.status === 429
}

export async function readThrough<T>(path: string): Promise<Read<T>> {
  const db = await fieldDb()
  try {
    const data = await fieldCall<T>('GET', path)
    await db.cache(path, data)
    return { data, offline: false, savedAt: null }
  } catch (error) {
    const kept = unreachable(error) ? await db.cached<T>(path) : undefined
    if (!kept) throw error
    return { data: kept.value, offline: true, savedAt: kept.savedAt }
  }
}

/** Fetch photo renditions so that the service worker keeps them (src/sw.ts: CacheFirst), for a case
 * opened later without a connection. */
export function warmPhotos(urls: string[]): void {
  for (const url of urls) void fetch(url).catch(() => undefined)
}
