// The service worker's side of Web Push: what a message shows (the tag replaces and sounds again, a
// broken message still shows something), where a tap goes (the open window of the same face routes
// itself, else a new window opens; never another origin), and the server's key read from base64url.
import { describe, expect, it, vi } from 'vitest'
import {
  type AppWindow,
  appPath,
  faceOfPath,
  keyBytes,
  notificationOptions,
  openNotification,
  type PushScope,
  readPush,
  showPush,
  windowFor,
} from './pushWorker'

const ORIGIN = 'https://city.example'
const CASE = '0b9f6a2e-8f43-4a43-9d8e-1c1f0f5d2a10'

function appWindow(url: string, options: Partial<AppWindow> = {}): AppWindow & { messages: unknown[] } {
  const messages: unknown[] = []
  return {
    url,
    focused: false,
    visibilityState: 'hidden',
    focus: vi.fn(async () => undefined),
    postMessage: (message: unknown) => messages.push(message),
    messages,
    ...options,
  }
}

function scope(windows: AppWindow[], opened: AppWindow | null = null) {
  const shown: [string, NotificationOptions][] = []
  const openWindow = vi.fn(async () => opened)
  const pushScope: PushScope = {
    origin: ORIGIN,
    showNotification: async (title, options) => void shown.push([title, options]),
    windows: async () => windows,
    openWindow,
  }
  return { pushScope, shown, openWindow }
}

describe('a push message', () => {
  const data = {
    id: 'n1',
    kind: 'case.closed',
    title: '您的诉求已办结',
    body: '受理编号 2026112500042',
    url: `/requests/${CASE}`,
    tag: `case-${CASE}`,
    case_id: CASE,
    task_id: null,
  }

  it('shows its title and body, opens its page, and replaces an older one of the same case, sounding again', () => {
    const message = readPush(data, ORIGIN)
    expect(message.title).toBe('您的诉求已办结')
    expect(notificationOptions(message)).toEqual({
      body: '受理编号 2026112500042',
      icon: '/icon-192.png',
      badge: '/badge-96.png',
      lang: 'zh-CN',
      data: { url: `/requests/${CASE}`, id: 'n1' },
      tag: `case-${CASE}`,
      renotify: true,
    })
  })

  it('without a tag stands alone (renotify needs one)', () => {
    const options = notificationOptions(readPush({ ...data, tag: undefined, title: 'Your request was closed', body: 'No. 1' }, ORIGIN))
    expect(options).not.toHaveProperty('tag')
    expect(options).not.toHaveProperty('renotify')
    expect(options.lang).toBe('en')
  })

  it('that is broken or empty still shows the app name and opens the app', () => {
    for (const broken of [null, 'text', { title: 42, url: 'javascript:alert(1)' }]) {
      const message = readPush(broken, ORIGIN)
      expect(message.title).toBe('城市服务 City Service')
      expect(message.url).toBe('/')
    }
  })

  it('is shown, then the open windows hear that the unread counts changed', async () => {
    const window = appWindow(`${ORIGIN}/requests`)
    const { pushScope, shown } = scope([window])
    await showPush(pushScope, data)
    expect(shown.map(([title, options]) => [title, options.tag])).toEqual([['您的诉求已办结', `case-${CASE}`]])
    expect(window.messages).toEqual([{ type: 'notification' }])
  })
})

describe('app paths', () => {
  it('keeps paths of this origin and sends anything else home', () => {
    expect(appPath(`/requests/${CASE}?tab=1#top`, ORIGIN)).toBe(`/requests/${CASE}?tab=1#top`)
    expect(appPath(`${ORIGIN}/field/tasks/1`, ORIGIN)).toBe('/field/tasks/1')
    expect(appPath('https://evil.example/requests/1', ORIGIN)).toBe('/')
    expect(appPath('//evil.example/x', ORIGIN)).toBe('/')
    expect(appPath(undefined, ORIGIN)).toBe('/')
  })

  it('belong to a face', () => {
    expect(['/staff/cases/1', '/staff', '/field/tasks/1', '/field', '/requests/1', '/', '/fieldwork'].map(faceOfPath)).toEqual([
      'staff',
      'staff',
      'field',
      'field',
      'citizen',
      'citizen',
      'citizen',
    ])
  })
})

describe('a tap on a notification', () => {
  it('routes an open window of the app there and brings it to the front', async () => {
    const window = appWindow(`${ORIGIN}/`)
    const { pushScope, openWindow } = scope([window])
    await openNotification(pushScope, { url: `/requests/${CASE}`, id: 'n1' })
    expect(window.messages).toEqual([{ type: 'open', url: `/requests/${CASE}`, id: 'n1' }])
    expect(window.focus).toHaveBeenCalled()
    expect(openWindow).not.toHaveBeenCalled()
  })

  it('still routes the window when focusing is refused (no user gesture: a synthetic click)', async () => {
    const window = appWindow(`${ORIGIN}/`, { focus: async () => Promise.reject(new Error('InvalidAccessError')) })
    await openNotification(scope([window]).pushScope, { url: '/inbox', id: null })
    expect(window.messages).toEqual([{ type: 'open', url: '/inbox', id: null }])
  })

  it('opens a new window when none of the app is open, and tells it which message it was', async () => {
    const opened = appWindow(`${ORIGIN}/field/tasks/7`)
    const { pushScope, openWindow } = scope([appWindow('https://other.example/')], opened)
    await openNotification(pushScope, { url: '/field/tasks/7', id: 'n2' })
    expect(openWindow).toHaveBeenCalledWith('/field/tasks/7')
    expect(opened.messages).toEqual([{ type: 'opened', url: '/field/tasks/7', id: 'n2' }])
  })

  it('prefers a window of the same face, then the one in front', () => {
    const citizen = appWindow(`${ORIGIN}/requests`, { focused: true, visibilityState: 'visible' })
    const desk = appWindow(`${ORIGIN}/staff`)
    const other = appWindow('https://other.example/staff', { focused: true })
    expect(windowFor([citizen, desk, other], '/staff/cases/1', ORIGIN)).toBe(desk)
    expect(windowFor([desk, citizen], '/requests/1', ORIGIN)).toBe(citizen)
    expect(windowFor([desk, citizen], '/field/tasks/1', ORIGIN)).toBe(citizen)
    expect(windowFor([other], '/', ORIGIN)).toBeUndefined()
  })
})

describe('the server key', () => {
  it('is read from base64url into the 65 bytes of an uncompressed P-256 point', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
    const text = Buffer.from(raw).toString('base64url')
    expect(text).not.toMatch(/[+/=]/)
    expect(keyBytes(text)).toEqual(raw)
    expect(keyBytes(`${text}=`)).toEqual(raw) // padded, as some servers write it
  })

  it('that is not such a point is refused', () => {
    expect(() => keyBytes('AAAA')).toThrow(/P-256/)
  })
})
