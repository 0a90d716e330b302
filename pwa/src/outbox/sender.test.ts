import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flush, Refused, type Transport } from './sender'
import { queuedReport } from './fixtures'
import { OutboxStore } from './store'

class FakeServer implements Transport {
  uploads: string[] = []
  reports: { client_id: string; photo_ids: string[] }[] = []
  online = true
  failSubmitOnce = false
  refuse: string | null = null

  async uploadPhoto(photo: { id: string; blob: Blob }): Promise<string> {
    if (!this.online) throw new TypeError('Failed to fetch')
    expect(await photo.blob.text()).toMatch(/^photo /)
    this.uploads.push(photo.id)
    return `server-${photo.id}`
  }

  async submitReport(body: { client_id: string; photo_ids: string[] }): Promise<{ id: string; tracking_no: string }> {
    if (!this.online) throw new TypeError('Failed to fetch')
    if (this.refuse) throw new Refused(this.refuse, 'refused')
    // The server stores the report, but its answer is lost on the way back.
    const existing = this.reports.find((r) => r.client_id === body.client_id)
    if (!existing) this.reports.push(body)
    if (this.failSubmitOnce) {
      this.failSubmitOnce = false
      throw new TypeError('connection reset')
    }
    return { id: `case-${body.client_id}`, tracking_no: '2026112500001' }
  }
}

let store: OutboxStore
let dbName: string

beforeEach(async () => {
  dbName = `test-${Math.random()}`
  store = await OutboxStore.open(dbName)
})

afterEach(() => store.close())

describe('outbox', () => {
  it('keeps reports and their photo blobs across a reopen', async () => {
    await store.put(queuedReport('r-1', 2))
    store.close()
    store = await OutboxStore.open(dbName)
    const [kept] = await store.all()
    expect(kept.clientId).toBe('r-1')
    expect(kept.photos).toHaveLength(2)
    expect(await kept.photos[1].blob.text()).toBe('photo 1')
    expect(kept.photos[1].blob.type).toBe('image/jpeg')
  })

  it('sends photos then the report, and empties the outbox', async () => {
    const server = new FakeServer()
    await store.put(queuedReport('r-1', 2))
    const result = await flush(store, server)
    expect(result).toEqual({ sent: [{ clientId: 'r-1', id: 'case-r-1', trackingNo: '2026112500001' }], interrupted: false })
    expect(server.uploads).toEqual(['r-1-p0', 'r-1-p1'])
    expect(server.reports).toEqual([
      expect.objectContaining({ client_id: 'r-1', photo_ids: ['server-r-1-p0', 'server-r-1-p1'] }),
    ])
    expect(await store.all()).toEqual([])
  })

  it('keeps everything while offline and sends it later, once', async () => {
    const server = new FakeServer()
    server.online = false
    await store.put(queuedReport('r-1'))
    expect((await flush(store, server)).interrupted).toBe(true)
    expect(await store.all()).toHaveLength(1)
    expect((await store.all())[0].attempts).toBe(1)
    server.online = true
    await flush(store, server)
    expect(server.reports).toHaveLength(1)
    expect(await store.all()).toEqual([])
  })

  it('resends with the same client_id after a lost answer, and uploads no photo twice', async () => {
    const server = new FakeServer()
    server.failSubmitOnce = true
    await store.put(queuedReport('r-1', 2))
    expect((await flush(store, server)).interrupted).toBe(true)
    const kept = (await store.all())[0]
    expect(kept.photos.every((p) => p.uploadedId)).toBe(true)
    await flush(store, server)
    expect(server.uploads).toEqual(['r-1-p0', 'r-1-p1'])
    expect(server.reports).toHaveLength(1)
    expect(await store.all()).toEqual([])
  })

  it('parks a refused report instead of resending it forever', async () => {
    const server = new FakeServer()
    server.refuse = 'outside_service_area'
    await store.put(queuedReport('r-1'))
    await store.put(queuedReport('r-2'))
    const result = await flush(store, server)
    expect(result.interrupted).toBe(false)
    const parked = await store.all()
    expect(parked.map((r) => r.refusal?.code)).toEqual(['outside_service_area', 'outside_service_area'])
    await flush(store, server)
    expect(server.uploads).toEqual(['r-1-p0', 'r-2-p0'])
  })

  it('runs one round at a time', async () => {
    const server = new FakeServer()
    await store.put(queuedReport('r-1'))
    const [a, b] = await Promise.all([flush(store, server), flush(store, server)])
    expect(a).toBe(b)
    expect(server.reports).toHaveLength(1)
  })
})
