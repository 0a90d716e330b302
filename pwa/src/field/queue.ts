// What the field app puts in the outbox (src/outbox: the same IndexedDB queue as the citizen's reports)
// and sends from it: reports, task results and roll-call answers, each with its client id, its photos
// and voice note, under the inspector's token. Offline they wait, a reload or a closed app included,
// and go when the connection returns (the page, or the service worker's Background Sync).
import { outbox, requestBackgroundSync, sendWaiting } from '../outbox'
import { isFieldItem, type FieldKind, type QueuedFieldItem, type QueuedPhoto } from '../outbox/store'
import { currentLocale } from '../i18n'
import { fieldToken } from './session'

export interface NewItem {
  kind: FieldKind
  path: string
  body: Record<string, unknown>
  summary: string
  files: QueuedPhoto[]
  target?: string
  clientId?: string
}

/** Queue an item and try to send it at once; it stays queued until the server has it. */
export async function enqueue(item: NewItem): Promise<string> {
  const clientId = item.clientId ?? crypto.randomUUID()
  const queued: QueuedFieldItem = {
    kind: item.kind,
    clientId,
    queuedAt: new Date().toISOString(),
    token: fieldToken() ?? '',
    locale: currentLocale(),
    path: item.path,
    // JSON in any case: a copy IndexedDB can store (Vue's reactive proxies it cannot).
    body: JSON.parse(JSON.stringify(item.body)) as Record<string, unknown>,
    summary: item.summary,
    target: item.target,
    photos: item.files,
    attempts: 0,
  }
  await (await outbox()).put(queued)
  window.dispatchEvent(new CustomEvent('outbox-changed'))
  void requestBackgroundSync()
  void sendField().catch(() => undefined)
  return clientId
}

/** The field app's items that wait (or were refused), oldest first. */
export async function waitingItems(): Promise<QueuedFieldItem[]> {
  return (await (await outbox()).all()).filter(isFieldItem)
}

/** Send what waits. Items queued under an earlier session of the field app (or before one) go under
 * the current token; one refused for its old session is tried again. */
export async function sendField(): Promise<void> {
  const current = fieldToken()
  if (current) {
    const store = await outbox()
    for (const item of await waitingItems()) {
      if (item.token === current) continue
      const staleSession = item.refusal && ['invalid_token', 'unauthorized'].includes(item.refusal.code)
      await store.put({ ...item, token: current, refusal: staleSession ? undefined : item.refusal })
    }
  }
  await sendWaiting()
}

/** The inspector's "try again" on a refused item. */
export async function retryItem(clientId: string): Promise<void> {
  const store = await outbox()
  const item = await store.get(clientId)
  if (item) await store.put({ ...item, refusal: undefined })
  await sendField()
}

export async function discardItem(clientId: string): Promise<void> {
  await (await outbox()).remove(clientId)
  window.dispatchEvent(new CustomEvent('outbox-changed'))
}
