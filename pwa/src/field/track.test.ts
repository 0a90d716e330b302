// The patrol track on the phone: every position kept until the server has it (across a reopen, while
// offline, with no cap), sent in batches of at most 1,000 whose batch_id survives a retry, and the
// server's refusals handled without losing the good points.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../problem'
import { FieldDb, MAX_BATCH, type TrackPoint } from './db'
import { BatchRefused, badPoints, distanceM, isGap, keepPoint, stepM, type TrackTransport, uploadTrack } from './track'

const START = Date.parse('2026-11-25T01:00:00Z')

function point(second: number, north = 0): TrackPoint {
  return {
    at: new Date(START + second * 1000).toISOString(),
    lat: 30.2741 + north * 0.00001,
    lng: 120.1551,
    accuracy_m: 8,
    speed_mps: 1.2,
  }
}

/** A server that stores each batch_id once and each point time once per shift, like the API. */
class FakeServer implements TrackTransport {
  stored = new Map<string, Set<string>>()
  batches: { shift: string; id: string; size: number }[] = []
  online = true
  loseAnswerOnce = false
  refuse: ((shift: string, points: TrackPoint[]) => Error | null) | null = null
  private seen = new Set<string>()

  async sendBatch(shift: string, body: { batch_id: string; points: TrackPoint[] }) {
    if (!this.online) throw new TypeError('Failed to fetch')
    expect(body.points.length).toBeGreaterThan(0)
    expect(body.points.length).toBeLessThanOrEqual(MAX_BATCH)
    this.batches.push({ shift, id: body.batch_id, size: body.points.length })
    const refusal = this.refuse?.(shift, body.points)
    if (refusal) throw refusal
    let stored = 0
    const duplicate = this.seen.has(body.batch_id)
    if (!duplicate) {
      this.seen.add(body.batch_id)
      const times = this.stored.get(shift) ?? new Set()
      for (const p of body.points) {
        if (!times.has(p.at)) stored += 1
        times.add(p.at)
      }
      this.stored.set(shift, times)
    }
    if (this.loseAnswerOnce) {
      this.loseAnswerOnce = false
      throw new TypeError('connection reset')
    }
    return { stored, duplicate }
  }
}

let db: FieldDb
let name: string
let ids: number

const newId = (): string => `batch-${++ids}`

beforeEach(async () => {
  name = `field-${Math.random()}`
  ids = 0
  db = await FieldDb.open(name)
})
afterEach(() => db.close())

async function record(shiftId: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await db.addPoint({ ...point(i * 5, i), shiftId })
}

describe('which positions are kept', () => {
  it('keeps the first, drops a repeat in the same second or a few seconds and metres on', () => {
    expect(keepPoint(null, point(0))).toBe(true)
    expect(keepPoint(point(0), point(0, 10))).toBe(false)
    expect(keepPoint(point(0), point(2, 0.1))).toBe(false)
    expect(keepPoint(point(0), point(2, 10))).toBe(true) // ~11 m in two seconds
    expect(keepPoint(point(0), point(5))).toBe(true)
  })

  it('measures metres, and adds no distance across a gap or within the fixes’ uncertainty', () => {
    expect(distanceM(point(0), point(0, 100))).toBeCloseTo(111.2, 0)
    expect(stepM(point(0), point(10, 10))).toBeCloseTo(11.1, 0)
    expect(stepM(point(0), point(10, 5))).toBe(0) // 5.6 m with 8 m accuracy: noise
    expect(isGap(point(0), point(121))).toBe(true)
    expect(stepM(point(0), point(300, 1000))).toBe(0)
  })

  it('reads the indexes of the refused points from a problem’s fields', () => {
    expect(badPoints({ fields: [{ name: 'points[3]', reason: 'x' }, { name: 'batch_id' }, { name: 'points[12].lat' }] })).toEqual([3, 12])
    expect(badPoints(null)).toEqual([])
  })
})

describe('the track buffer', () => {
  it('keeps every point across closing and reopening the app', async () => {
    await record('s1', 0, 30)
    db.close()
    db = await FieldDb.open(name)
    expect(await db.pointCount()).toBe(30)
  })

  it('has no cap: a long patrol goes up in batches of at most 1,000, every point stored once', async () => {
    const server = new FakeServer()
    await record('s1', 0, 2500)
    const result = await uploadTrack(db, server, newId)
    expect(result).toEqual({ stored: 2500, dropped: 0, interrupted: false })
    expect(server.batches.map((b) => b.size)).toEqual([1000, 1000, 500])
    expect(new Set(server.batches.map((b) => b.id)).size).toBe(3)
    expect(await db.pointCount()).toBe(0)
    expect(await db.batches()).toEqual([])
  })

  it('keeps the points while offline and sends them, and those recorded meanwhile, when back', async () => {
    const server = new FakeServer()
    server.online = false
    await record('s1', 0, 10)
    expect((await uploadTrack(db, server, newId)).interrupted).toBe(true)
    const [waiting] = await db.batches()
    expect(waiting.points).toHaveLength(10)
    expect(waiting.attempts).toBe(1)
    await record('s1', 10, 5)
    server.online = true
    expect(await uploadTrack(db, server, newId)).toEqual({ stored: 15, dropped: 0, interrupted: false })
    expect(server.stored.get('s1')?.size).toBe(15)
  })

  it('sends a batch again with the same batch_id after a lost answer, even after a reopen', async () => {
    const server = new FakeServer()
    server.loseAnswerOnce = true
    await record('s1', 0, 20)
    expect((await uploadTrack(db, server, newId)).interrupted).toBe(true)
    db.close()
    db = await FieldDb.open(name)
    await uploadTrack(db, server, newId)
    expect(server.batches.map((b) => b.id)).toEqual(['batch-1', 'batch-1'])
    expect(server.stored.get('s1')?.size).toBe(20)
    expect(await db.batches()).toEqual([])
  })

  it('never mixes two shifts in a batch', async () => {
    const server = new FakeServer()
    await record('s1', 0, 3)
    await record('s2', 3, 4)
    await uploadTrack(db, server, newId)
    expect(server.batches.map((b) => [b.shift, b.size])).toEqual([
      ['s1', 3],
      ['s2', 4],
    ])
  })

  it('drops only the points the server names and sends the rest as a new batch', async () => {
    const server = new FakeServer()
    server.refuse = (_, points) =>
      points.length === 5 ? new BatchRefused(422, 'point_in_future', 'in the future', [1, 3]) : null
    await record('s1', 0, 5)
    expect(await uploadTrack(db, server, newId)).toEqual({ stored: 3, dropped: 2, interrupted: false })
    expect(server.batches.map((b) => [b.id, b.size])).toEqual([
      ['batch-1', 5],
      ['batch-2', 3],
    ])
    expect(await db.batches()).toEqual([])
  })

  it('keeps a batch refused as a whole, does not resend it, and goes on with the others', async () => {
    const server = new FakeServer()
    server.refuse = (shift) => (shift === 'theirs' ? new BatchRefused(404, 'not_found', 'no such shift', []) : null)
    await record('theirs', 0, 2)
    await record('s1', 2, 3)
    const result = await uploadTrack(db, server, newId)
    expect(result).toEqual({ stored: 3, dropped: 0, interrupted: false })
    const [kept] = await db.batches()
    expect(kept.refusal).toEqual({ code: 'not_found', message: 'no such shift' })
    expect(await db.batchedCount()).toEqual({ waiting: 0, refused: 2 })
    await uploadTrack(db, server, newId)
    expect(server.batches.filter((b) => b.shift === 'theirs')).toHaveLength(1)
  })

  it.each([401, 403, 429, 503])('keeps the batch for later on a %i', async (status) => {
    const server = new FakeServer()
    server.refuse = () => new ApiError(status, 'nope', 'nope')
    await record('s1', 0, 4)
    expect((await uploadTrack(db, server, newId)).interrupted).toBe(true)
    const [kept] = await db.batches()
    expect(kept.refusal).toBeUndefined()
    server.refuse = null
    await uploadTrack(db, server, newId)
    expect(server.batches.map((b) => b.id)).toEqual(['batch-1', 'batch-1'])
    expect(server.stored.get('s1')?.size).toBe(4)
  })

  it('runs one round at a time', async () => {
    const server = new FakeServer()
    await record('s1', 0, 10)
    const [a, b] = await Promise.all([uploadTrack(db, server, newId), uploadTrack(db, server, newId)])
    expect(a).toBe(b)
    expect(server.batches).toHaveLength(1)
  })
})
