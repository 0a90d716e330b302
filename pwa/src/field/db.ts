// The field app's own IndexedDB (city-field): the patrol track's points until the server has them, the
// batches they are sent in, and the last answers seen (tasks, grids, the shift, history) for reading
// offline. Points have no cap: a day's patrol at one point every few seconds is some 10,000 rows, far
// within any browser's quota; only the server's answer removes them.
import { type DBSchema, type IDBPDatabase, openDB } from 'idb'

/** One position of the track, as the API takes it. */
export interface TrackPoint {
  at: string
  lat: number
  lng: number
  accuracy_m: number | null
  speed_mps: number | null
}

export interface BufferedPoint extends TrackPoint {
  /** The order points were recorded in (the store's own key). */
  seq?: number
  shiftId: string
}

/** Points cut off the buffer to go together. Its id is made when it is cut and kept with it, so a
 * retry after a lost answer sends the same batch_id, which the server stores once. */
export interface Batch {
  batchId: string
  shiftId: string
  cutAt: string
  points: TrackPoint[]
  attempts: number
  /** The server refused it for good (not its points one by one): kept, not sent again by itself. */
  refusal?: { code: string; message: string }
}

export interface Cached<T = unknown> {
  key: string
  value: T
  savedAt: string
}

interface FieldSchema extends DBSchema {
  points: { key: number; value: BufferedPoint; indexes: { shiftId: string } }
  batches: { key: string; value: Batch; indexes: { cutAt: string } }
  cache: { key: string; value: Cached }
}

export const MAX_BATCH = 1000

export class FieldDb {
  private constructor(private readonly db: IDBPDatabase<FieldSchema>) {}

  static async open(name = 'city-field'): Promise<FieldDb> {
    const db = await openDB<FieldSchema>(name, 1, {
      upgrade(database) {
        database.createObjectStore('points', { keyPath: 'seq', autoIncrement: true }).createIndex('shiftId', 'shiftId')
        database.createObjectStore('batches', { keyPath: 'batchId' }).createIndex('cutAt', 'cutAt')
        database.createObjectStore('cache', { keyPath: 'key' })
      },
    })
    return new FieldDb(db)
  }

  async addPoint(point: BufferedPoint): Promise<void> {
    const { seq: _, ...row } = point
    await this.db.add('points', row)
  }

  /** Points not yet cut into a batch. */
  async pointCount(): Promise<number> {
    return this.db.count('points')
  }

  /** Points waiting in batches (refused ones apart). */
  async batchedCount(): Promise<{ waiting: number; refused: number }> {
    const counts = { waiting: 0, refused: 0 }
    for (const batch of await this.batches()) counts[batch.refusal ? 'refused' : 'waiting'] += batch.points.length
    return counts
  }

  /** Cut the oldest points (at most `max`, all of one shift) into a batch, in one transaction: a
   * point is in the buffer or in a batch, never both, never neither. Null when the buffer is empty. */
  async cutBatch(newId: () => string, max = MAX_BATCH, now = new Date()): Promise<Batch | null> {
    const tx = this.db.transaction(['points', 'batches'], 'readwrite')
    const points = tx.objectStore('points')
    let cursor = await points.openCursor()
    if (!cursor) {
      await tx.done
      return null
    }
    const shiftId = cursor.value.shiftId
    const taken: TrackPoint[] = []
    while (cursor && taken.length < max) {
      if (cursor.value.shiftId === shiftId) {
        const { at, lat, lng, accuracy_m, speed_mps } = cursor.value
        taken.push({ at, lat, lng, accuracy_m, speed_mps })
        await cursor.delete()
      }
      cursor = await cursor.continue()
    }
    const batch: Batch = { batchId: newId(), shiftId, cutAt: now.toISOString(), points: taken, attempts: 0 }
    await tx.objectStore('batches').put(batch)
    await tx.done
    return batch
  }

  /** Batches cut and not yet stored by the server, oldest first. */
  async batches(): Promise<Batch[]> {
    return this.db.getAllFromIndex('batches', 'cutAt')
  }

  async putBatch(batch: Batch): Promise<void> {
    await this.db.put('batches', batch)
  }

  async removeBatch(batchId: string): Promise<void> {
    await this.db.delete('batches', batchId)
  }

  /** One batch in place of another, in one transaction (a batch less the points the server refused). */
  async replaceBatch(old: string, batch: Batch): Promise<void> {
    const tx = this.db.transaction('batches', 'readwrite')
    await Promise.all([tx.store.delete(old), tx.store.put(batch), tx.done])
  }

  async cached<T>(key: string): Promise<Cached<T> | undefined> {
    return (await this.db.get('cache', key)) as Cached<T> | undefined
  }

  async cache<T>(key: string, value: T, now = new Date()): Promise<void> {
    await this.db.put('cache', { key, value, savedAt: now.toISOString() })
  }

  async forget(key: string): Promise<void> {
    await this.db.delete('cache', key)
  }

  /** The cached answers only (an inspector's tasks and cases): at sign-out. The track stays. */
  async clearCache(): Promise<void> {
    await this.db.clear('cache')
  }

  close(): void {
    this.db.close()
  }
}

let opened: Promise<FieldDb> | null = null

/** The app's one connection. */
export function fieldDb(): Promise<FieldDb> {
  opened ??= FieldDb.open()
  return opened
}
