// Web Push on the page: where it can work (an iPhone only from the Home Screen), asking once and at the
// right moment, what the server is told (the subscription and its language, again when either
// changes), and turning it off (the browser unsubscribes only when no other face still uses it).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { NoticeClient } from './notices'
import type { Platform } from './push'

const storage = new Map<string, string>()
const UA = {
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  oldIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.3 Mobile/15E148 Safari/604.1',
  chromeOnIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
  ipadAsMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
}
const platform = (userAgent: string, extra: Partial<Platform> = {}): Platform => ({
  userAgent,
  maxTouchPoints: 0,
  standalone: false,
  pushApis: true,
  ...extra,
})

// A P-256 point's 65 bytes, as the server gives it (base64url) and as the browser keeps it.
const KEY = new Uint8Array(65).map((_, i) => (i === 0 ? 4 : i))
const KEY_TEXT = Buffer.from(KEY).toString('base64url')

interface FakeSubscription {
  endpoint: string
  options: { applicationServerKey: ArrayBuffer }
  toJSON(): PushSubscriptionJSON
  unsubscribe: ReturnType<typeof vi.fn>
}

function fakeSubscription(endpoint: string, key: Uint8Array = KEY): FakeSubscription {
  return {
    endpoint,
    options: { applicationServerKey: key.slice().buffer },
    toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', auth: 'tBHItJI5svbpez7KI4CCXg' } }),
    unsubscribe: vi.fn(async () => true),
  }
}

/** A browser with Web Push: its permission, its push service and its service worker. */
function browser(permission: NotificationPermission, answer: NotificationPermission = 'granted') {
  const state = { current: null as FakeSubscription | null, subscribed: 0 }
  const pushManager = {
    getSubscription: async () => state.current,
    subscribe: vi.fn(async () => {
      state.subscribed += 1
      state.current = fakeSubscription(`https://push.example/send/${state.subscribed}`)
      return state.current
    }),
  }
  const registration = { pushManager }
  const notification = { permission, requestPermission: vi.fn(async () => ((notification.permission = answer), answer)) }
  vi.stubGlobal('Notification', notification)
  vi.stubGlobal('navigator', {
    userAgent: UA.android,
    maxTouchPoints: 5,
    serviceWorker: { ready: Promise.resolve(registration), getRegistration: async () => registration },
  })
  vi.stubGlobal('window', {
    PushManager: class {},
    Notification: notification,
    matchMedia: () => ({ matches: false }),
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
  })
  return { state, pushManager, notification }
}

function client(face: NoticeClient['face'] = 'citizen') {
  const calls: [string, string, unknown][] = []
  const call = vi.fn(async (method: string, path: string, body?: unknown) => {
    calls.push([method, path, body])
    return undefined
  })
  return { face, call, calls } as NoticeClient & { calls: typeof calls }
}

function vapid(status = 200): void {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () =>
      status === 200
        ? new Response(JSON.stringify({ public_key: KEY_TEXT }), { status })
        : new Response(JSON.stringify({ code: 'push_not_configured' }), { status }),
    ),
  )
}

beforeEach(() => {
  storage.clear()
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  })
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.resetModules()
})

describe('where push can work', () => {
  it('on an iPhone or iPad only once the app is opened from the Home Screen, from iOS 16.4 on', async () => {
    const { pushSupport, isIos } = await import('./push')
    expect(pushSupport(platform(UA.iphone, { pushApis: false }))).toBe('install')
    expect(pushSupport(platform(UA.iphone, { standalone: true }))).toBe('supported')
    expect(pushSupport(platform(UA.chromeOnIphone, { pushApis: false }))).toBe('install')
    expect(pushSupport(platform(UA.oldIphone, { pushApis: false }))).toBe('unsupported')
    expect(pushSupport(platform(UA.oldIphone, { standalone: true, pushApis: false }))).toBe('unsupported')
    // iPadOS says it is a Mac; a Mac has no touch screen.
    expect(isIos(platform(UA.ipadAsMac, { maxTouchPoints: 5 }))).toBe(true)
    expect(pushSupport(platform(UA.ipadAsMac, { maxTouchPoints: 5, pushApis: false }))).toBe('install')
    expect(pushSupport(platform(UA.ipadAsMac, { maxTouchPoints: 0 }))).toBe('supported')
  })

  it('elsewhere wherever the browser has the APIs', async () => {
    const { pushSupport } = await import('./push')
    expect(pushSupport(platform(UA.android))).toBe('supported')
    expect(pushSupport(platform(UA.android, { pushApis: false }))).toBe('unsupported')
  })

  it('knows an installed app by navigator.standalone or by its display mode', async () => {
    const { currentPlatform } = await import('./push')
    browser('default')
    expect(currentPlatform().standalone).toBe(false)
    vi.stubGlobal('navigator', { ...navigator, standalone: true })
    expect(currentPlatform().standalone).toBe(true)
    vi.stubGlobal('navigator', { ...navigator, standalone: undefined })
    vi.stubGlobal('window', { ...window, matchMedia: (query: string) => ({ matches: query === '(display-mode: standalone)' }) })
    expect(currentPlatform().standalone).toBe(true)
    expect(currentPlatform().pushApis).toBe(true)
  })
})

describe('our question', () => {
  it('is put once per face, after which the browser is not asked unprompted', async () => {
    browser('default')
    const { offerPush } = await import('./push')
    const { pushOffer } = await import('./pushState')
    offerPush('citizen')
    expect(pushOffer.value).toEqual({ face: 'citizen', kind: 'ask' })
    pushOffer.value = null
    offerPush('citizen')
    expect(pushOffer.value).toBeNull()
    offerPush('field') // the inspector's question is another one
    expect(pushOffer.value).toEqual({ face: 'field', kind: 'ask' })
  })

  it('is not put once turned down, once on, nor when the browser blocks the site', async () => {
    const { offerFor } = await import('./push')
    expect(offerFor('supported', 'default', { offer: 'declined' })).toBeNull()
    expect(offerFor('supported', 'default', { offer: 'asked' })).toBeNull()
    expect(offerFor('supported', 'granted', { on: true })).toBeNull()
    expect(offerFor('supported', 'denied', {})).toBeNull()
    expect(offerFor('unsupported', 'unsupported', {})).toBeNull()
    expect(offerFor('supported', 'granted', {})).toBe('ask')
    // An iPhone in Safari hears how to add the app to its Home Screen, once too.
    expect(offerFor('install', 'unsupported', {})).toBe('install')
    expect(offerFor('install', 'unsupported', { offer: 'asked' })).toBeNull()
  })
})

describe('turning push on', () => {
  it('asks the browser, subscribes with the server key and tells the server the subscription and language', async () => {
    const { notification, pushManager } = browser('default')
    vapid()
    const { enablePush } = await import('./push')
    const { memoryOf } = await import('./pushState')
    const face = client('field')
    expect(await enablePush(face, 'en')).toBe('on')
    expect(notification.requestPermission).toHaveBeenCalledOnce()
    const options = pushManager.subscribe.mock.calls[0] as unknown as [PushSubscriptionOptionsInit]
    expect(options[0].userVisibleOnly).toBe(true)
    expect(options[0].applicationServerKey).toEqual(KEY)
    expect(face.calls).toEqual([
      [
        'POST',
        '/api/v1/push/subscriptions',
        {
          endpoint: 'https://push.example/send/1',
          expirationTime: null,
          keys: {
            p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
            auth: 'tBHItJI5svbpez7KI4CCXg',
          },
          language: 'en',
        },
      ],
    ])
    expect(memoryOf('field')).toEqual({ on: true, endpoint: 'https://push.example/send/1', language: 'en' })
  })

  it('replaces a subscription made with another server key', async () => {
    const { state, pushManager } = browser('granted')
    const stale = fakeSubscription('https://push.example/send/old', new Uint8Array(65).fill(4))
    state.current = stale
    vapid()
    const { enablePush } = await import('./push')
    expect(await enablePush(client(), 'zh-CN')).toBe('on')
    expect(stale.unsubscribe).toHaveBeenCalled()
    expect(pushManager.subscribe).toHaveBeenCalledOnce()
  })

  it('says why when it cannot', async () => {
    browser('default', 'denied')
    vapid()
    const { enablePush } = await import('./push')
    expect(await enablePush(client(), 'zh-CN')).toBe('blocked')
    browser('default', 'default')
    expect(await enablePush(client(), 'zh-CN')).toBe('dismissed')
    browser('granted')
    vapid(503)
    const face = client()
    expect(await enablePush(face, 'zh-CN')).toBe('not-configured')
    expect(face.calls).toEqual([])
  })
})

describe('keeping the server in step', () => {
  it('tells it again when the language or the endpoint changed, and not otherwise', async () => {
    const { state } = browser('granted')
    vapid()
    const { enablePush, syncPush } = await import('./push')
    const face = client()
    await enablePush(face, 'zh-CN')
    await syncPush(face, 'zh-CN')
    expect(face.calls).toHaveLength(1)
    await syncPush(face, 'en')
    expect(face.calls.map(([, , body]) => (body as { language: string }).language)).toEqual(['zh-CN', 'en'])
    state.current = null // the push service dropped it
    await syncPush(face, 'en')
    expect(face.calls.map(([, , body]) => (body as { endpoint: string }).endpoint)).toEqual([
      'https://push.example/send/1',
      'https://push.example/send/1',
      'https://push.example/send/2',
    ])
  })

  it('turns off a face whose permission was taken back in the browser', async () => {
    const { notification } = browser('granted')
    vapid()
    const { enablePush, syncPush } = await import('./push')
    const { memoryOf } = await import('./pushState')
    const face = client()
    await enablePush(face, 'zh-CN')
    notification.permission = 'denied'
    await syncPush(face, 'zh-CN')
    expect(memoryOf('citizen').on).toBeUndefined()
    expect(face.calls.at(-1)?.[0]).toBe('DELETE')
  })
})

describe('turning push off', () => {
  it('makes the server forget it and the browser unsubscribe', async () => {
    const { state } = browser('granted')
    vapid()
    const { disablePush, enablePush } = await import('./push')
    const { memoryOf } = await import('./pushState')
    const face = client()
    await enablePush(face, 'zh-CN')
    const subscription = state.current
    await disablePush(face)
    expect(face.calls.at(-1)).toEqual([
      'DELETE',
      `/api/v1/push/subscriptions?endpoint=${encodeURIComponent('https://push.example/send/1')}`,
      undefined,
    ])
    expect(subscription?.unsubscribe).toHaveBeenCalled()
    expect(memoryOf('citizen')).toEqual({})
  })

  it('leaves the browser subscribed while another face still uses it', async () => {
    const { state } = browser('granted')
    vapid()
    const { disablePush, enablePush } = await import('./push')
    const citizen = client('citizen')
    await enablePush(citizen, 'zh-CN')
    await enablePush(client('field'), 'zh-CN')
    await disablePush(citizen)
    expect(state.current?.unsubscribe).not.toHaveBeenCalled()
  })

  it('is off even offline when this was the last face: the endpoint is dead once unsubscribed', async () => {
    const { state } = browser('granted')
    vapid()
    const { disablePush, enablePush } = await import('./push')
    const face = client()
    await enablePush(face, 'zh-CN')
    const subscription = state.current
    face.call = vi.fn(async () => Promise.reject(new TypeError('Failed to fetch')))
    await expect(disablePush(face)).resolves.toBeUndefined()
    expect(subscription?.unsubscribe).toHaveBeenCalled()
  })
})

describe('the subscription body', () => {
  it('needs an endpoint and both keys', async () => {
    const { subscriptionBody } = await import('./push')
    expect(() => subscriptionBody({ endpoint: 'https://push.example/1', keys: { p256dh: 'x' } }, 'zh-CN')).toThrow()
    expect(subscriptionBody({ endpoint: 'https://push.example/1', keys: { p256dh: 'p', auth: 'a' } }, 'en')).toEqual({
      endpoint: 'https://push.example/1',
      expirationTime: null,
      keys: { p256dh: 'p', auth: 'a' },
      language: 'en',
    })
  })
})
