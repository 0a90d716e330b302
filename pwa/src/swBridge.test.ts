// What the open app does with the service worker's messages: a tap routes it there (once: the tapped
// message is marked read by its own face), a shown notification and a renewed subscription are passed
// on as window events; anything else, or a path of another site, is ignored.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Router } from 'vue-router'

let events: string[] = []
beforeEach(() => {
  events = []
  const target = new EventTarget()
  vi.stubGlobal(
    'window',
    Object.assign(target, {
      location: { origin: 'https://city.example' },
      dispatchEvent: (event: Event) => (events.push(event.type), true),
    }),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.resetModules()
})

async function bridge() {
  const { followServiceWorker, takeTapped } = await import('./swBridge')
  const container = new EventTarget()
  const push = vi.fn(async () => undefined)
  followServiceWorker({ push } as unknown as Router, container as ServiceWorkerContainer)
  const say = async (data: unknown): Promise<void> => {
    container.dispatchEvent(new MessageEvent('message', { data }))
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  return { say, push, takeTapped }
}

describe('the service worker bridge', () => {
  it('routes the app where a tapped notification leads, and keeps its id for its face to mark read', async () => {
    const { say, push, takeTapped } = await bridge()
    await say({ type: 'open', url: '/requests/42', id: 'n1' })
    await say({ type: 'opened', url: '/staff/cases/7', id: 'n2' })
    expect(push.mock.calls).toEqual([['/requests/42']]) // 'opened': the new window is there already
    expect(events).toEqual(['notices-changed', 'notices-changed'])
    expect(takeTapped('field')).toEqual([])
    expect(takeTapped('citizen')).toEqual(['n1'])
    expect(takeTapped('citizen')).toEqual([])
    expect(takeTapped('staff')).toEqual(['n2'])
  })

  it('passes on a shown notification and a renewed subscription, and ignores the rest', async () => {
    const { say, push } = await bridge()
    await say({ type: 'notification' })
    await say({ type: 'subscription' })
    await say('outbox-changed')
    await say({ type: 'open', url: 'https://evil.example/x', id: 7 })
    expect(events).toEqual(['notices-changed', 'push-subscription-changed', 'notices-changed'])
    expect(push.mock.calls).toEqual([['/']])
  })
})
