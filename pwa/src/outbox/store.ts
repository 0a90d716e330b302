// Reports wait here, photos and all, until the server has them: a reload, a closed tab or a lost
// connection never loses one. Each keeps its client_id, so a resend after a lost answer is a retry
// the server recognises, never a second case. The field app's reports, task results and roll-call
// answers wait here too, with their photos and voice notes (QueuedFieldItem).
import { type DBSchema, type IDBPDatabase, openDB } from 'idb'

export interface QueuedPhoto {
  /** Also the upload's Idempotency-Key. */
  id: string
  blob: Blob
  /** Set once the server has the photo. */
  uploadedId?: string
  /** Where an inspector's file goes in the item's body (src/outbox/field.ts): a photo (the default),
   * an after-photo of a self-handled report, or the voice note (POST /api/v1/field/voice-notes). */
  slot?: FileSlot
}

export type FileSlot = 'photo' | 'after' | 'voice'

export interface ReportBody {
  type: string
  category_code: string | null
  description: string
  location: { lat: number; lng: number; accuracy_m?: number | null; crs?: 'wgs84' | 'gcj02' }
  address: string | null
  contact_phone?: string | null
}

interface QueuedBase {
  clientId: string
  queuedAt: string
  /** Who sends it when the service worker does (Background Sync has no page to ask). */
  token: string
  locale: string
  photos: QueuedPhoto[]
  attempts: number
  /** A refusal the user must act on (the server said no); the report is not resent by itself. */
  refusal?: { code: string; message: string }
}

/** A citizen's report (POST /api/v1/requests). */
export interface QueuedReport extends QueuedBase {
  kind?: undefined
  body: ReportBody
}

/** What an inspector's field app sends: a report (问题上报), a task's result (核实/核查) or the answer
 * to a roll call (点名). It goes under the field app's own token, to `path`. */
export type FieldKind = 'field_report' | 'task_result' | 'roll_call'

export interface QueuedFieldItem extends QueuedBase {
  kind: FieldKind
  path: string
  /** The body without the uploaded files' ids, which the sender adds (src/outbox/field.ts). */
  body: Record<string, unknown>
  /** A line that says what it is, for the list of what waits. */
  summary: string
  /** The task or roll call it answers. */
  target?: string
}

export type Queued = QueuedReport | QueuedFieldItem

export function isFieldItem(item: Queued): item is QueuedFieldItem {
  return item.kind !== undefined
}

/** What the server answered for a report the outbox sent: kept so the app can say "sent, your number
 * is …" even when the service worker sent it with no page open. */
export interface SentReceipt {
  clientId: string
  id: string
  trackingNo: string
  sentAt: string
  /** The token it went under: a sign-out drops that account's receipts with its other answers. */
  token: string
  description: string
}

interface OutboxSchema extends DBSchema {
  reports: { key: string; value: Queued; indexes: { queuedAt: string } }
  sent: { key: string; value: SentReceipt; indexes: { sentAt: string } }
}

export class OutboxStore {
  private constructor(private readonly db: IDBPDatabase<OutboxSchema>) {}

  static async open(name = 'city-outbox'): Promise<OutboxStore> {
    const db = await openDB<OutboxSchema>(name, 2, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          const reports = database.createObjectStore('reports', { keyPath: 'clientId' })
          reports.createIndex('queuedAt', 'queuedAt')
        }
        if (oldVersion < 2) database.createObjectStore('sent', { keyPath: 'clientId' }).createIndex('sentAt', 'sentAt')
      },
    })
    return new OutboxStore(db)
  }

  async put(report: Queued): Promise<void> {
    await this.db.put('reports', report)
  }

  /** Everything that waits, the citizen's reports and the field app's items, oldest first. */
  async all(): Promise<Queued[]> {
    return this.db.getAllFromIndex('reports', 'queuedAt')
  }

  async get(clientId: string): Promise<Queued | undefined> {
    return this.db.get('reports', clientId)
  }

  async remove(clientId: string): Promise<void> {
    await this.db.delete('reports', clientId)
  }

  /** The report leaves the queue and its receipt is stored in one transaction: never both, never
   * neither, so a report is neither sent again nor forgotten without its number. */
  async markSent(receipt: SentReceipt): Promise<void> {
    const tx = this.db.transaction(['reports', 'sent'], 'readwrite')
    await Promise.all([tx.objectStore('reports').delete(receipt.clientId), tx.objectStore('sent').put(receipt), tx.done])
  }

  /** Receipts of sent reports, oldest first. */
  async sent(): Promise<SentReceipt[]> {
    return this.db.getAllFromIndex('sent', 'sentAt')
  }

  async forgetSent(clientId: string): Promise<void> {
    await this.db.delete('sent', clientId)
  }

  close(): void {
    this.db.close()
  }
}
