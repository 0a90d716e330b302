// The field app's items in the outbox go under the inspector's current session: queued under an
// earlier one (or before any), they are stamped with the current token; refused for a dead session,
// they are tried again; refused for a reason of their own, they stay parked.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { QueuedFieldItem } from '../outbox/store'

const storage = new Map<string, string>()
const sent: { url: string; auth: string | null }[] = []

function item(clientId: string, token: string, refusal?: { code: string; message: string }): QueuedFieldItem {
  return {
    kind: 'task_result',
    clientId,
    queuedAt: new Date().toISOString(),
    token,
    locale: 'zh-CN',
    path: `/api/v1/field/tasks/${clientId}/result`,
    body: { outcome: 'confirmed' },
    summary: clientId,
    target: clientId,
    photos: [],
    attempts: 0,
    refusal,
  }
}

describe('sendField', () => {
  beforeEach(() => {
    storage.clear()
    sent.length = 0
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, value),
      removeItem: (key: string) => storage.delete(key),
    })
    vi.stubGlobal('window', new EventTarget())
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        sent.push({ url, auth: new Headers(init?.headers).get('Authorization') })
        return Response.json({ id: 't', case: { tracking_no: '2026112500001' } })
      }),
    )
  })
  afterEach(() => vi.unstubAllGlobals())

  it('sends under the current session what was queued under another, and keeps what was refused for itself', async () => {
    const { outbox } = await import('../outbox')
    const { sendField, waitingItems } = await import('./queue')
    const store = await outbox()
    await store.put(item('before-sign-in', ''))
    await store.put(item('old-session', 'old', { code: 'invalid_token', message: 'expired' }))
    await store.put(item('done-elsewhere', 'old', { code: 'task_done', message: 'done' }))
    storage.set('city.field_token', 'current')
    await sendField()
    expect(sent).toEqual([
      { url: '/api/v1/field/tasks/before-sign-in/result', auth: 'Bearer current' },
      { url: '/api/v1/field/tasks/old-session/result', auth: 'Bearer current' },
    ])
    const left = await waitingItems()
    expect(left.map((i) => [i.clientId, i.token, i.refusal?.code])).toEqual([['done-elsewhere', 'current', 'task_done']])
  })
})
