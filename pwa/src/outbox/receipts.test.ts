// The outbox keeps what the server answered (case id and tracking number) for each report it sent,
// whoever sent it, so the app can say "sent, your number is …"; and it still sends each report once.
import 'fake-indexeddb/auto'
import { openDB } from 'idb'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { queuedReport } from './fixtures'
import { flush, type Transport } from './sender'
import { OutboxStore } from './store'

function server(): Transport & { submitted: string[]; loseAnswerOnce: boolean } {
  return {
    submitted: [],
    loseAnswerOnce: false,
    async uploadPhoto(photo) {
      return `server-${photo.id}`
    },
    async submitReport(body) {
      if (!this.submitted.includes(body.client_id)) this.submitted.push(body.client_id)
      if (this.loseAnswerOnce) {
        this.loseAnswerOnce = false
        throw new TypeError('connection reset')
      }
      return { id: `case-${body.client_id}`, tracking_no: `20261125000${this.submitted.indexOf(body.client_id) + 1}` }
    },
  }
}

describe('sent receipts', () => {
  let name: string
  let store: OutboxStore

  beforeEach(async () => {
    name = `receipts-${Math.random()}`
    store = await OutboxStore.open(name)
  })
  afterEach(() => store.close())

  it('keeps the case id and tracking number of each report it sent, and no longer queues it', async () => {
    await store.put(queuedReport('r-1'))
    await store.put(queuedReport('r-2', 0))
    await flush(store, server())
    expect(await store.all()).toEqual([])
    const receipts = await store.sent()
    expect(receipts.map(({ clientId, id, trackingNo, token, description }) => ({ clientId, id, trackingNo, token, description })))
      .toEqual([
        { clientId: 'r-1', id: 'case-r-1', trackingNo: '202611250001', token: 'device-token', description: '井盖松动' },
        { clientId: 'r-2', id: 'case-r-2', trackingNo: '202611250002', token: 'device-token', description: '井盖松动' },
      ])
    expect(Number.isNaN(Date.parse(receipts[0].sentAt))).toBe(false)
  })

  it('shows the page what the service worker sent through its own connection', async () => {
    await store.put(queuedReport('r-1'))
    const worker = await OutboxStore.open(name)
    await flush(worker, server())
    worker.close()
    expect(await store.all()).toEqual([])
    expect((await store.sent()).map((r) => r.trackingNo)).toEqual(['202611250001'])
  })

  it('sends a report once, and keeps the number the server gave after a lost answer', async () => {
    const remote = server()
    remote.loseAnswerOnce = true
    await store.put(queuedReport('r-1'))
    expect((await flush(store, remote)).interrupted).toBe(true)
    expect(await store.sent()).toEqual([])
    await flush(store, remote)
    await flush(store, remote)
    expect(remote.submitted).toEqual(['r-1'])
    expect((await store.sent()).map((r) => [r.clientId, r.trackingNo])).toEqual([['r-1', '202611250001']])
  })

  it('keeps reports queued before the receipts existed (version 1 of the database)', async () => {
    const old = `v1-${Math.random()}`
    const v1 = await openDB(old, 1, {
      upgrade(database) {
        database.createObjectStore('reports', { keyPath: 'clientId' }).createIndex('queuedAt', 'queuedAt')
      },
    })
    await v1.put('reports', queuedReport('r-1'))
    v1.close()
    const upgraded = await OutboxStore.open(old)
    expect((await upgraded.all()).map((r) => r.clientId)).toEqual(['r-1'])
    await flush(upgraded, server())
    expect((await upgraded.sent()).map((r) => r.trackingNo)).toEqual(['202611250001'])
    upgraded.close()
  })
})

describe('the app’s receipts', () => {
  const storage = new Map<string, string>()

  beforeEach(() => {
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, value),
      removeItem: (key: string) => storage.delete(key),
    })
    vi.stubGlobal('window', new EventTarget())
  })
  afterEach(() => vi.unstubAllGlobals())

  const receipt = (clientId: string, token: string, sentAt: string) => ({
    clientId,
    id: `case-${clientId}`,
    trackingNo: `no-${clientId}`,
    sentAt,
    token,
    description: '井盖',
  })

  it('forgets receipts after a week, when dismissed, and those of a signed-out token', async () => {
    const { outbox, sentReceipts, dismissReceipt, releaseToken } = await import('./index')
    const store = await outbox()
    const now = Date.parse('2026-11-25T12:00:00Z')
    await store.markSent(receipt('old', 'mine', '2026-11-17T12:00:00Z'))
    await store.markSent(receipt('new', 'mine', '2026-11-24T12:00:00Z'))
    await store.markSent(receipt('seen', 'mine', '2026-11-24T13:00:00Z'))
    await store.markSent(receipt('other', 'theirs', '2026-11-25T11:00:00Z'))
    expect((await sentReceipts(now)).map((r) => r.clientId)).toEqual(['new', 'seen', 'other'])
    await dismissReceipt('seen')
    expect((await sentReceipts(now)).map((r) => r.clientId)).toEqual(['new', 'other'])
    await releaseToken('mine')
    expect((await sentReceipts(now)).map((r) => r.clientId)).toEqual(['other'])
  })
})
