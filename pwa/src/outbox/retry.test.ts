// Which answers park a report for good and which leave it queued for the next round: pinned for both
// transports (the service worker's fetch one and the page's), status by status.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, problemOf } from '../problem'
import { fetchTransport, isRefusal, refusalOf } from './http'
import { flush, Refused } from './sender'
import { queuedReport } from './fixtures'
import { OutboxStore } from './store'

const FINAL = [400, 401, 403, 404, 409, 413, 415, 422]
const TRY_LATER = [408, 425, 429, 500, 502, 503, 504]

function problem(status: number): Response {
  return new Response(JSON.stringify({ code: `code_${status}`, detail: `detail ${status}` }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  })
}

describe('isRefusal', () => {
  it.each(FINAL)('%i is a final refusal', (status) => {
    expect(isRefusal(status)).toBe(true)
  })

  it.each(TRY_LATER)('%i is tried again later', (status) => {
    expect(isRefusal(status)).toBe(false)
  })

  it('treats every 5xx as "later" and every other 4xx as final', () => {
    for (let status = 500; status < 600; status++) expect(isRefusal(status)).toBe(false)
    for (let status = 400; status < 500; status++) expect(isRefusal(status)).toBe(![408, 425, 429].includes(status))
  })
})

describe('refusalOf (the page transport)', () => {
  it.each(FINAL)('turns a %i into a Refused with the problem code', (status) => {
    const refused = refusalOf(problemOf(status, JSON.stringify({ code: 'outside_service_area', detail: 'no' }), ''))
    expect(refused).toBeInstanceOf(Refused)
    expect((refused as Refused).code).toBe('outside_service_area')
    expect((refused as Refused).message).toBe('no')
  })

  it.each(TRY_LATER)('passes a %i through, to be sent again', (status) => {
    const error = new ApiError(status, 'busy', 'busy')
    expect(refusalOf(error)).toBe(error)
  })

  it('passes a network error through', () => {
    const error = new TypeError('Failed to fetch')
    expect(refusalOf(error)).toBe(error)
  })
})

describe('the service worker transport, through a whole round', () => {
  let store: OutboxStore
  const fetchMock = vi.fn<typeof fetch>()

  beforeEach(async () => {
    store = await OutboxStore.open(`retry-${Math.random()}`)
    vi.stubGlobal('fetch', fetchMock)
  })

  afterEach(() => {
    store.close()
    fetchMock.mockReset()
    vi.unstubAllGlobals()
  })

  it.each(FINAL)('parks the report on a %i and goes on with the next one', async (status) => {
    fetchMock.mockImplementation(async () => problem(status))
    await store.put(queuedReport('r-1'))
    const result = await flush(store, fetchTransport)
    expect(result).toEqual({ sent: [], interrupted: false })
    const [parked] = await store.all()
    expect(parked.refusal).toEqual({ code: `code_${status}`, message: `detail ${status}` })
    expect(parked.attempts).toBe(0)
    // A parked report is not sent again by itself.
    fetchMock.mockClear()
    await flush(store, fetchTransport)
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it.each(TRY_LATER)('keeps the report queued on a %i and sends it in a later round', async (status) => {
    fetchMock.mockImplementation(async () => problem(status))
    await store.put(queuedReport('r-1'))
    expect(await flush(store, fetchTransport)).toEqual({ sent: [], interrupted: true })
    const [kept] = await store.all()
    expect(kept.refusal).toBeUndefined()
    expect(kept.attempts).toBe(1)

    fetchMock.mockImplementation(async (input) =>
      String(input).endsWith('/uploads')
        ? Response.json({ id: 'photo-1' }, { status: 201 })
        : Response.json({ id: 'case-1', tracking_no: '2026112500001' }, { status: 201 }),
    )
    const later = await flush(store, fetchTransport)
    expect(later.sent).toEqual([{ clientId: 'r-1', id: 'case-1', trackingNo: '2026112500001' }])
    expect(await store.all()).toEqual([])
  })

  it('keeps the report queued when the network fails', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    await store.put(queuedReport('r-1'))
    expect((await flush(store, fetchTransport)).interrupted).toBe(true)
    expect((await store.all())[0].refusal).toBeUndefined()
  })

  it('keeps the report queued on a 5xx that is not problem+json (a proxy page)', async () => {
    fetchMock.mockResolvedValue(new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    await store.put(queuedReport('r-1'))
    expect((await flush(store, fetchTransport)).interrupted).toBe(true)
  })

  it('parks on a refused report submission after its photo went up', async () => {
    fetchMock.mockImplementation(async (input) =>
      String(input).endsWith('/uploads') ? Response.json({ id: 'photo-1' }, { status: 201 }) : problem(422),
    )
    await store.put(queuedReport('r-1'))
    await flush(store, fetchTransport)
    const [parked] = await store.all()
    expect(parked.refusal?.code).toBe('code_422')
    expect(parked.photos[0].uploadedId).toBe('photo-1')
  })
})
