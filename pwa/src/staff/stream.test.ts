import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FeedEvent } from './stream'

// The staff session reads its token from localStorage; the app modules read the locale from it.
const storage = new Map<string, string>([['city.staff_token', 'staff-token']])
beforeAll(() => {
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  })
})
afterEach(() => vi.unstubAllGlobals())

/** A server that answers each connection with the next script of chunks, then ends the stream. */
function fakeServer(scripts: string[][]): { headers: Record<string, string>[]; fetch: typeof fetch } {
  const headers: Record<string, string>[] = []
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    headers.push(init.headers as Record<string, string>)
    const chunks = scripts.shift() ?? []
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    })
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
  }) as typeof fetch
  return { headers, fetch: fetchImpl }
}

describe('followFeed', () => {
  it('parses events split across chunks and resumes with the last id after a drop', async () => {
    vi.useFakeTimers()
    const server = fakeServer([
      [
        'event: ready\r\nid: 7\r\ndata: {}\r\n\r\n: keep-alive\r\n\r\nevent: case.sub',
        'mitted\r\nid: 8\r\ndata: {"id":"a","status":"submitted","version":1}\r\n\r\n',
      ],
      ['event: ready\r\nid: 8\r\ndata: {}\r\n\r\nevent: case.accepted\r\nid: 9\r\ndata: {"id":"a","status":"accepted","version":2}\r\n\r\n'],
    ])
    vi.stubGlobal('fetch', server.fetch)
    const { followFeed } = await import('./stream')
    const seen: FeedEvent[] = []
    const states: boolean[] = []
    const stop = followFeed(
      (event) => seen.push(event),
      (live) => states.push(live),
    )
    await vi.advanceTimersByTimeAsync(3500)
    stop()
    vi.useRealTimers()

    expect(seen.map((e) => [e.type, e.data.status, e.data.version])).toEqual([
      ['case.submitted', 'submitted', 1],
      ['case.accepted', 'accepted', 2],
    ])
    expect(server.headers[0].Authorization).toBe('Bearer staff-token')
    expect(server.headers[0]['Last-Event-ID']).toBeUndefined()
    expect(server.headers[1]['Last-Event-ID']).toBe('8')
    expect(states.slice(0, 3)).toEqual([true, false, true])
  })
})

describe('query', () => {
  it('leaves out empty values and repeats lists', async () => {
    const { query } = await import('./session')
    expect(query({ status: ['submitted', 'accepted'], q: '', overdue: false, limit: 30, cursor: null })).toBe(
      '?status=submitted&status=accepted&limit=30',
    )
    expect(query({ q: '' })).toBe('')
  })
})
