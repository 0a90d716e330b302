// The field app's reports, task results and roll-call answers wait in the same outbox as the citizen's
// reports: each goes up with its files, under the inspector's token, to its own path, once.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fieldAnswer, fieldBody, uploadName, uploadPath } from './field'
import { queuedReport } from './fixtures'
import { fetchTransport } from './http'
import { flush } from './sender'
import { OutboxStore, type QueuedFieldItem } from './store'

function file(id: string, slot?: 'photo' | 'after' | 'voice', type = 'image/jpeg') {
  return { id, blob: new Blob([`file ${id}`], { type }), slot, uploadedId: `server-${id}` }
}

function item(kind: QueuedFieldItem['kind'], fields: Partial<QueuedFieldItem> = {}): QueuedFieldItem {
  return {
    kind,
    clientId: `${kind}-1`,
    queuedAt: new Date().toISOString(),
    token: 'inspector-token',
    locale: 'zh-CN',
    path: kind === 'task_result' ? '/api/v1/field/tasks/t-1/result' : '/api/v1/field/reports',
    body: { description: '井盖缺失' },
    summary: '井盖缺失',
    photos: [],
    attempts: 0,
    ...fields,
  }
}

describe('fieldBody', () => {
  it("puts a report's photos, after-photos and voice note where the API takes them", () => {
    const files = [file('a'), file('b', 'after'), file('c', 'photo'), file('v', 'voice', 'audio/webm')]
    expect(fieldBody(item('field_report'), files)).toEqual({
      description: '井盖缺失',
      client_id: 'field_report-1',
      photo_ids: ['server-a', 'server-c'],
      after_photo_ids: ['server-b'],
      voice_note_id: 'server-v',
    })
  })

  it('gives a task result its photos and client_id, a roll call its one photo or none', () => {
    expect(fieldBody(item('task_result', { body: { outcome: 'pass' } }), [file('a')])).toEqual({
      outcome: 'pass',
      client_id: 'task_result-1',
      photo_ids: ['server-a'],
    })
    const recorded = { outcome: 'pass', recorded_at: '2026-11-25T08:15:00.000Z' }
    expect(fieldBody(item('task_result', { body: recorded }), [file('a')])).toEqual({
      ...recorded,
      client_id: 'task_result-1',
      photo_ids: ['server-a'],
    })
    expect(fieldBody(item('roll_call', { body: { location: { lat: 1, lng: 2 } } }), [])).toEqual({
      location: { lat: 1, lng: 2 },
      photo_id: null,
    })
  })

  it('names the case of an answer, and sends a voice note to its own path under its own type', () => {
    expect(fieldAnswer(item('task_result'), { id: 't-1', case: { tracking_no: '2026112500042' } })).toEqual({
      id: 't-1',
      tracking_no: '2026112500042',
    })
    expect(fieldAnswer(item('roll_call', { target: 'rc-1' }), null)).toEqual({ id: 'rc-1', tracking_no: '' })
    const voice = file('v', 'voice', 'audio/webm;codecs=opus')
    expect([uploadPath(voice), uploadName(voice)]).toEqual(['/api/v1/field/voice-notes', 'v.webm'])
    expect([uploadPath(file('p')), uploadName(file('p'))]).toEqual(['/api/v1/uploads', 'p.jpg'])
    expect(uploadName(file('h', 'photo', 'image/heic'))).toBe('h.heic')
    expect(uploadName(file('w', 'after', 'image/webp'))).toBe('w.webp')
  })
})

describe('sending field items', () => {
  let store: OutboxStore
  const fetchMock = vi.fn<typeof fetch>()
  const calls: { url: string; auth: string | null; body: unknown }[] = []

  beforeEach(async () => {
    store = await OutboxStore.open(`field-${Math.random()}`)
    calls.length = 0
    vi.stubGlobal('fetch', fetchMock)
    fetchMock.mockImplementation(async (input, init) => {
      const url = String(input)
      const auth = new Headers(init?.headers).get('Authorization')
      const body = init?.body instanceof FormData ? 'form' : JSON.parse(String(init?.body))
      calls.push({ url, auth, body })
      if (url === '/api/v1/uploads') return Response.json({ id: `photo-${calls.length}` }, { status: 201 })
      if (url === '/api/v1/field/voice-notes') return Response.json({ id: 'voice-1' }, { status: 201 })
      if (url === '/api/v1/requests') return Response.json({ id: 'case-c', tracking_no: '2026112500001' }, { status: 201 })
      if (url.endsWith('/result')) {
        return Response.json({ code: 'task_done', detail: '任务已完成' }, { status: 409 })
      }
      return Response.json({ id: 'case-f', tracking_no: '2026112500002' }, { status: 201 })
    })
  })

  afterEach(() => {
    store.close()
    fetchMock.mockReset()
    vi.unstubAllGlobals()
  })

  it("sends a report's files then the report under the inspector's token, and keeps no receipt", async () => {
    const report = item('field_report', {
      photos: [
        { id: 'p', blob: new Blob(['x'], { type: 'image/jpeg' }) },
        { id: 'v', blob: new Blob(['x'], { type: 'audio/webm' }), slot: 'voice' },
      ],
    })
    await store.put(report)
    const result = await flush(store, fetchTransport)
    expect(result).toEqual({ sent: [{ clientId: 'field_report-1', id: 'case-f', trackingNo: '2026112500002' }], interrupted: false })
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ['/api/v1/uploads', 'Bearer inspector-token'],
      ['/api/v1/field/voice-notes', 'Bearer inspector-token'],
      ['/api/v1/field/reports', 'Bearer inspector-token'],
    ])
    expect(calls[2].body).toEqual({
      description: '井盖缺失',
      client_id: 'field_report-1',
      photo_ids: ['photo-1'],
      after_photo_ids: [],
      voice_note_id: 'voice-1',
    })
    expect(await store.all()).toEqual([])
    expect(await store.sent()).toEqual([])
  })

  it('sends the same body, recorded_at and client_id included, on every try of a report queued offline', async () => {
    const recordedAt = '2026-11-25T08:15:00.000Z'
    await store.put(
      item('field_report', {
        body: { description: '井盖缺失', recorded_at: recordedAt },
        photos: [{ id: 'p', blob: new Blob(['x'], { type: 'image/jpeg' }) }],
      }),
    )
    let down = true
    const send = fetchMock.getMockImplementation()!
    fetchMock.mockImplementation(async (input, init) => {
      if (down && String(input) === '/api/v1/field/reports') {
        calls.push({ url: String(input), auth: null, body: JSON.parse(String(init?.body)) })
        return Response.json({ code: 'unavailable', detail: '稍后再试' }, { status: 503 })
      }
      return send(input, init)
    })
    expect((await flush(store, fetchTransport)).sent).toEqual([])
    down = false
    expect((await flush(store, fetchTransport)).sent.map((s) => s.clientId)).toEqual(['field_report-1'])
    const bodies = calls.filter((c) => c.url === '/api/v1/field/reports').map((c) => c.body)
    expect(bodies).toHaveLength(2)
    expect(bodies[1]).toEqual(bodies[0])
    expect(bodies[0]).toMatchObject({ client_id: 'field_report-1', recorded_at: recordedAt, photo_ids: ['photo-1'] })
    // The photo went up once: the retry reuses its id.
    expect(calls.filter((c) => c.url === '/api/v1/uploads')).toHaveLength(1)
  })

    it("sends a citizen's report and an inspector's item each to its path with its own token", async () => {
    await store.put(queuedReport('r-1', 0))
    await store.put(item('field_report', { queuedAt: new Date(Date.now() + 60_000).toISOString() }))
    await flush(store, fetchTransport)
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ['/api/v1/requests', 'Bearer device-token'],
      ['/api/v1/field/reports', 'Bearer inspector-token'],
    ])
    expect((await store.sent()).map((r) => r.clientId)).toEqual(['r-1'])
  })

  it('parks a result the server refuses (the task was done already), with its reason', async () => {
    await store.put(item('task_result', { body: { outcome: 'pass' } }))
    expect(await flush(store, fetchTransport)).toEqual({ sent: [], interrupted: false })
    const [parked] = await store.all()
    expect(parked.refusal).toEqual({ code: 'task_done', message: '任务已完成' })
  })

  it('leaves an item queued before there was a token for the page to stamp', async () => {
    await store.put(item('field_report', { token: '' }))
    expect((await flush(store, fetchTransport)).interrupted).toBe(true)
    expect(calls).toEqual([])
  })
})
