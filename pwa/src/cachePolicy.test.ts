import { describe, expect, it } from 'vitest'
import {
  apiCacheFor,
  FIELD_APP_CACHE,
  holdsApiData,
  isFieldAsset,
  isPhoneToken,
  isPhotoRendition,
  OWN_CACHE,
  PUBLIC_CACHE,
} from './cachePolicy'

function jwt(claims: object): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return `Bearer ${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`
}

const DEVICE = jwt({ sub: 'u1', sid: 's1', kind: 'device', roles: ['citizen'] })
const CITIZEN = jwt({ sub: 'u2', sid: 's2', kind: 'citizen', roles: ['citizen'] })
const DISPATCHER = jwt({ sub: 'u3', sid: 's3', kind: 'staff', roles: ['dispatcher'] })
const SUPERVISOR = jwt({ sub: 'u4', sid: 's4', kind: 'staff', roles: ['supervisor', 'dispatcher'] })
const INSPECTOR = jwt({ sub: 'u5', sid: 's5', kind: 'staff', roles: ['inspector'] })
const ODD_CITIZEN = jwt({ sub: 'u6', sid: 's6', kind: 'citizen', roles: ['citizen', 'admin'] })
const ID = '0b5c3a2e-8f7a-4b1e-9d2c-5e6f7a8b9c0d'

const at = (path: string) => new URL(path, 'https://city.example')

describe('apiCacheFor', () => {
  it.each([
    ['/api/v1/config', PUBLIC_CACHE],
    ['/api/v1/categories', PUBLIC_CACHE],
    ['/api/v1/categories/C0101', PUBLIC_CACHE],
    ['/api/v1/requests?limit=50', OWN_CACHE],
    ['/api/v1/requests', OWN_CACHE],
    ['/api/v1/requests/followed', OWN_CACHE],
    [`/api/v1/requests/${ID}`, OWN_CACHE],
  ])('keeps %s for offline use', (path, cache) => {
    for (const authorization of [null, DEVICE, CITIZEN]) expect(apiCacheFor(at(path), 'GET', authorization)).toBe(cache)
  })

  it('keeps reports nearby as public without a token, as the caller\'s with one (own, following)', () => {
    const nearby = at('/api/v1/requests/nearby?lat=30.27&lng=120.15&radius_m=500')
    expect(apiCacheFor(nearby, 'GET', null)).toBe(PUBLIC_CACHE)
    for (const authorization of [DEVICE, CITIZEN]) expect(apiCacheFor(nearby, 'GET', authorization)).toBe(OWN_CACHE)
    expect(apiCacheFor(nearby, 'GET', DISPATCHER)).toBeNull()
  })

  it.each([
    '/api/v1/staff/cases?status=submitted',
    '/api/v1/staff/cases/counts',
    `/api/v1/staff/cases/${ID}`,
    `/api/v1/staff/cases/${ID}/duplicates`,
    '/api/v1/staff/cases/geo?bbox=1,2,3,4',
    `/api/v1/staff/photos/${ID}/original`,
    '/api/v1/staff/stream',
    '/api/v1/admin/departments/SZ-MUNI',
    `/api/v1/audit?case_id=${ID}`,
    '/api/v1/stats/overview',
    '/api/v1/stats/overview.csv',
    '/api/v1/departments',
    '/api/v1/auth/device',
    '/api/v1/auth/login',
    '/api/v1/inbox',
    '/api/v1/field/tasks',
    `/api/v1/requests/${ID}/rating`,
    `/api/v1/requests/${ID}/follow`,
    '/api/v1/requestsX',
    '/api/v1/configuration',
    '/open311/v2/requests.json',
    '/healthz',
    '/api/v1/requests/../staff/cases',
    '/api/v1/requests/%2e%2e/staff/cases',
  ])('never keeps %s', (path) => {
    for (const authorization of [null, DEVICE, CITIZEN, DISPATCHER])
      expect(apiCacheFor(at(path), 'GET', authorization)).toBeNull()
  })

  it('keeps nothing asked for with a staff token, even on the allowlist', () => {
    for (const authorization of [DISPATCHER, SUPERVISOR, INSPECTOR, ODD_CITIZEN, 'Bearer not-a-jwt', 'Basic abc', 'Bearer'])
      for (const path of ['/api/v1/config', '/api/v1/categories', '/api/v1/requests', `/api/v1/requests/${ID}`])
        expect(apiCacheFor(at(path), 'GET', authorization)).toBeNull()
  })

  it('keeps no write', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])
      expect(apiCacheFor(at('/api/v1/requests'), method, DEVICE)).toBeNull()
  })
})

describe('isPhoneToken', () => {
  it('tells a phone token from a staff one', () => {
    expect(isPhoneToken(null)).toBe(true)
    expect(isPhoneToken(DEVICE)).toBe(true)
    expect(isPhoneToken(CITIZEN)).toBe(true)
    expect(isPhoneToken(DISPATCHER)).toBe(false)
    expect(isPhoneToken(INSPECTOR)).toBe(false)
    expect(isPhoneToken('Bearer x.%%%.y')).toBe(false)
  })
})

describe('photos and cache names', () => {
  it('caches the stripped renditions only', () => {
    expect(isPhotoRendition(at(`/api/v1/photos/${ID}/display.jpg`), 'GET')).toBe(true)
    expect(isPhotoRendition(at(`/api/v1/photos/${ID}/thumb.jpg`), 'GET')).toBe(true)
    expect(isPhotoRendition(at(`/api/v1/staff/photos/${ID}/original`), 'GET')).toBe(false)
    expect(isPhotoRendition(at(`/api/v1/photos/${ID}/display.jpg`), 'POST')).toBe(false)
  })

  it('counts every runtime cache as API data, the app precache and the field app files not', () => {
    expect(['api', 'api-public', 'api-own', 'photos'].every(holdsApiData)).toBe(true)
    expect(holdsApiData('workbox-precache-v2-https://city.example/')).toBe(false)
    expect(holdsApiData(FIELD_APP_CACHE)).toBe(false)
  })

  it("caches the field app's scripts and stylesheets, nothing of the desk's", () => {
    expect(isFieldAsset(at('/assets/field/TasksView-Ab12_-.js'), 'GET')).toBe(true)
    expect(isFieldAsset(at('/assets/field/field-Ab12.css'), 'GET')).toBe(true)
    expect(isFieldAsset(at('/assets/staff/QueueView-Ab12.js'), 'GET')).toBe(false)
    expect(isFieldAsset(at('/assets/field/TasksView-Ab12.js'), 'POST')).toBe(false)
    expect(isFieldAsset(at('/api/v1/field/tasks'), 'GET')).toBe(false)
  })
})
