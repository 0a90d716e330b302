// A phone whose token the server refuses (session ended, expired) registers anew once and goes on;
// a refusal of the new token, or of a staff call, is not retried.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const storage = new Map<string, string>()
const fetchMock = vi.fn<typeof fetch>()

beforeEach(() => {
  storage.clear()
  fetchMock.mockReset()
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  })
  vi.stubGlobal('fetch', fetchMock)
})
afterEach(() => vi.unstubAllGlobals())

const refused = () =>
  new Response(JSON.stringify({ status: 401, code: 'invalid_token', detail: 'invalid token' }), { status: 401 })
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status })

function authorizations(): (string | undefined)[] {
  return fetchMock.mock.calls.map(([, init]) => (init?.headers as Record<string, string>).Authorization)
}

describe('a refused phone token', () => {
  it('is replaced by a new device token and the call is made again', async () => {
    storage.set('city.token', 'old-token')
    fetchMock
      .mockResolvedValueOnce(refused())
      .mockResolvedValueOnce(json({ token: 'new-token' }, 201))
      .mockResolvedValueOnce(json({ items: [] }))
    const { call } = await import('./api')
    expect(await call('GET', '/api/v1/requests')).toEqual({ items: [] })
    expect(storage.get('city.token')).toBe('new-token')
    expect(fetchMock.mock.calls.map(([url]) => String(url))).toEqual([
      '/api/v1/requests',
      '/api/v1/auth/device',
      '/api/v1/requests',
    ])
    expect(authorizations()).toEqual(['Bearer old-token', undefined, 'Bearer new-token'])
  })

  it('is renewed only once', async () => {
    storage.set('city.token', 'old-token')
    fetchMock
      .mockResolvedValueOnce(refused())
      .mockResolvedValueOnce(json({ token: 'new-token' }, 201))
      .mockResolvedValueOnce(refused())
    const { call, ApiError } = await import('./api')
    await expect(call('GET', '/api/v1/requests')).rejects.toBeInstanceOf(ApiError)
    expect(fetchMock).toHaveBeenCalledTimes(3)
  })

  it('leaves other refusals and calls without the phone token alone', async () => {
    storage.set('city.token', 'old-token')
    fetchMock.mockResolvedValueOnce(json({ status: 403, code: 'forbidden', detail: 'no' }, 403))
    fetchMock.mockResolvedValueOnce(refused())
    const { call } = await import('./api')
    await expect(call('GET', '/api/v1/requests')).rejects.toMatchObject({ status: 403 })
    await expect(call('GET', '/api/v1/staff/cases', undefined, false, { Authorization: 'Bearer staff' })).rejects.toMatchObject({
      status: 401,
    })
    expect(fetchMock).toHaveBeenCalledTimes(2)
    expect(storage.get('city.token')).toBe('old-token')
  })
})
