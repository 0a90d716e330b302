// Sign-out on both faces: the server is told (and its silence or a 404 changes nothing), the token is
// gone, every cache of API answers is deleted (the app's precache stays), and the outbox is kept.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const storage = new Map<string, string>()
const cacheNames = new Set<string>()
const fetchMock = vi.fn<typeof fetch>()

beforeEach(() => {
  storage.clear()
  cacheNames.clear()
  for (const name of ['api', 'api-public', 'api-own', 'photos', 'workbox-precache-v2-https://city.example/'])
    cacheNames.add(name)
  fetchMock.mockReset()
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  })
  vi.stubGlobal('caches', {
    keys: async () => [...cacheNames],
    delete: async (name: string) => cacheNames.delete(name),
  })
  vi.stubGlobal('fetch', fetchMock)
  vi.stubGlobal('window', new EventTarget())
})
afterEach(() => vi.unstubAllGlobals())

const PRECACHE_ONLY = ['workbox-precache-v2-https://city.example/']

function logoutCalls(): { url: string; init: RequestInit }[] {
  return fetchMock.mock.calls
    .filter(([url]) => String(url) === '/api/v1/auth/logout')
    .map(([url, init]) => ({ url: String(url), init: init as RequestInit }))
}

describe('staff desk sign-out', () => {
  it.each([
    ['204', async () => new Response(null, { status: 204 })],
    ['404 (no route yet)', async () => new Response('{"code":"not_found"}', { status: 404 })],
    ['401 (already revoked)', async () => new Response('{"code":"invalid_token"}', { status: 401 })],
    ['500', async () => new Response('oops', { status: 500 })],
    ['a network error', async () => Promise.reject(new TypeError('Failed to fetch'))],
  ])('revokes the session, forgets the token and deletes the API caches on %s', async (_, answer) => {
    fetchMock.mockImplementation(answer)
    storage.set('city.staff_token', 'staff-token')
    storage.set('city.token', 'phone-token')
    const { signOut } = await import('./staff/session')
    await signOut()
    const [call] = logoutCalls()
    expect(call.init.method).toBe('POST')
    expect((call.init.headers as Record<string, string>).Authorization).toBe('Bearer staff-token')
    expect(storage.has('city.staff_token')).toBe(false)
    expect(storage.get('city.token')).toBe('phone-token') // the phone's own identity is not the desk's
    expect([...cacheNames]).toEqual(PRECACHE_ONLY)
  })

  it('still clears the caches when no one was signed in', async () => {
    const { signOut } = await import('./staff/session')
    await signOut()
    expect(logoutCalls()).toEqual([])
    expect([...cacheNames]).toEqual(PRECACHE_ONLY)
  })
})

describe('citizen sign-out', () => {
  it('revokes the session, forgets the token, deletes the API caches and keeps the outbox', async () => {
    fetchMock.mockImplementation(async () => new Response('{"code":"not_found"}', { status: 404 }))
    storage.set('city.token', 'citizen-token')
    const { outbox } = await import('./outbox')
    const store = await outbox()
    const waiting = {
      clientId: 'r-1',
      queuedAt: new Date().toISOString(),
      body: { type: 'complaint', category_code: 'C0101', description: '井盖', location: { lat: 30.27, lng: 120.15 }, address: null },
      photos: [{ id: 'p-1', blob: new Blob(['photo'], { type: 'image/jpeg' }) }],
      token: 'citizen-token',
      locale: 'zh-CN',
      attempts: 2,
    }
    await store.put(waiting)
    await store.put({ ...waiting, clientId: 'r-2', token: 'other-token' })

    const { signOut } = await import('./account')
    await signOut()

    const [call] = logoutCalls()
    expect((call.init.headers as Record<string, string>).Authorization).toBe('Bearer citizen-token')
    expect(storage.has('city.token')).toBe(false)
    expect([...cacheNames]).toEqual(PRECACHE_ONLY)
    const kept = await store.all()
    expect(kept.map((r) => r.clientId).sort()).toEqual(['r-1', 'r-2'])
    const mine = kept.find((r) => r.clientId === 'r-1')
    // Kept whole, but no longer under the signed-out token: the page sends it under the next one.
    expect(mine?.token).toBe('')
    expect(mine?.attempts).toBe(2)
    expect(await mine?.photos[0].blob.text()).toBe('photo')
    expect(kept.find((r) => r.clientId === 'r-2')?.token).toBe('other-token')
  })
})

describe('a 401 after a sign-out', () => {
  it.each([
    ['staff', './staff/session', 'city.staff_token', '/staff/login?next=%2Fstaff%2Fqueue'],
    ['field', './field/session', 'city.field_token', '/field/login?next=%2Fstaff%2Fqueue'],
  ])('on the %s face, sends to sign-in only while the token it was sent with is current', async (_, module, key, login) => {
    const assign = vi.fn()
    vi.stubGlobal('window', Object.assign(new EventTarget(), { location: { pathname: '/staff/queue', assign } }))
    let answer!: (response: Response) => void
    fetchMock.mockImplementation((url) =>
      String(url) === '/api/v1/auth/logout'
        ? Promise.resolve(new Response(null, { status: 204 }))
        : new Promise((resolve) => (answer = resolve)),
    )
    storage.set(key, 'header.e30.signature')
    const session = await import(module)
    const call = module.includes('staff') ? session.staffCall : session.fieldCall
    const refresh = call('GET', '/api/v1/staff/cases').catch((error: unknown) => error)
    await session.signOut()
    answer(new Response('{"code":"invalid_token"}', { status: 401, headers: { 'Content-Type': 'application/problem+json' } }))
    expect(await refresh).toMatchObject({ status: 401 })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(assign).not.toHaveBeenCalled()

    storage.set(key, 'header.e30.signature')
    fetchMock.mockImplementation(async () => new Response('{"code":"invalid_token"}', { status: 401 }))
    await call('GET', '/api/v1/staff/cases').catch(() => undefined)
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith(login))
    expect(storage.has(key)).toBe(false)
  })
})
