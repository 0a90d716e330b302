// Reading the field API offline: the last answer seen is shown when the server cannot be reached, and
// never in place of a real answer (a 4xx says something the phone must not hide).
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../problem'

const fieldCall = vi.fn()
vi.mock('./session', () => ({ fieldCall: (...args: unknown[]) => fieldCall(...args) }))

describe('readThrough', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined })
  })
  afterEach(() => {
    fieldCall.mockReset()
    vi.unstubAllGlobals()
  })

  it('keeps each answer and shows it, marked, when the network fails or the server errs', async () => {
    const { readThrough } = await import('./offline')
    fieldCall.mockResolvedValueOnce({ items: [{ id: 't-1' }] })
    expect(await readThrough('/api/v1/field/tasks?state=open')).toEqual({
      data: { items: [{ id: 't-1' }] },
      offline: false,
      savedAt: null,
    })
    fieldCall.mockRejectedValueOnce(new TypeError('Failed to fetch'))
    const offline = await readThrough<{ items: { id: string }[] }>('/api/v1/field/tasks?state=open')
    expect(offline.offline).toBe(true)
    expect(offline.data.items.map((item) => item.id)).toEqual(['t-1'])
    expect(Number.isNaN(Date.parse(offline.savedAt ?? ''))).toBe(false)
    fieldCall.mockRejectedValueOnce(new ApiError(503, 'unavailable', 'busy'))
    expect((await readThrough('/api/v1/field/tasks?state=open')).offline).toBe(true)
  })

  it('passes a refusal on, and says so when nothing was ever kept', async () => {
    const { readThrough } = await import('./offline')
    fieldCall.mockResolvedValueOnce({ items: [] })
    await readThrough('/api/v1/field/grids')
    fieldCall.mockRejectedValueOnce(new ApiError(403, 'forbidden', 'no'))
    await expect(readThrough('/api/v1/field/grids')).rejects.toMatchObject({ status: 403 })
    fieldCall.mockRejectedValueOnce(new TypeError('Failed to fetch'))
    await expect(readThrough('/api/v1/field/never-seen')).rejects.toBeInstanceOf(TypeError)
  })
})
