// What the service worker may keep of the API for offline use, and where. An allowlist: public data
// and the citizen's own requests; nothing else, and nothing asked for with a staff token (the staff
// desk may run on a shared computer; its answers carry reporters' phone numbers). Shared by the
// service worker and the page (which empties these caches at sign-out), and free of imports.

/** Public answers, the same for everyone: config, categories, reports nearby. */
export const PUBLIC_CACHE = 'api-public'
/** The signed-in citizen's (or this phone's) own requests: emptied at sign-out. */
export const OWN_CACHE = 'api-own'
/** Stripped photo renditions (never change under their URL). */
export const PHOTO_CACHE = 'photos'
/** What an older service worker cached every GET /api/v1/* in, the staff desk's answers included. */
export const LEGACY_API_CACHE = 'api'
/** The field app's own scripts and stylesheets (assets/field/), kept once loaded: they are not in the
 * precache (a citizen's phone never needs them), yet an inspector's app must open offline. Code, not
 * answers: a sign-out leaves it. */
export const FIELD_APP_CACHE = 'field-app'
const FIELD_ASSET = /^\/assets\/field\/[^/]+\.(js|css)$/

const PUBLIC_PATHS = [/^\/api\/v1\/config$/, /^\/api\/v1\/categories(\/.*)?$/, /^\/api\/v1\/requests\/nearby$/]
const OWN_PATHS = [/^\/api\/v1\/requests$/, /^\/api\/v1\/requests\/followed$/, /^\/api\/v1\/requests\/[^/]+$/]
// Public, yet asked with a token they also say which reports are the caller's (own, following): such
// an answer is the caller's, and goes where sign-out empties it.
const MARKED_FOR_CALLER = [/^\/api\/v1\/requests\/nearby$/]
const PHOTO_PATH = /^\/api\/v1\/photos\/[^/]+\/[^/]+$/

/** Token kinds whose answers a phone may keep: an anonymous device or a phone-verified citizen. */
const PHONE_KINDS = ['device', 'citizen']

/** The claims of a bearer token, unverified (only the server can check it): enough to tell a staff
 * token from a phone's. Null when there is no token; 'unreadable' when it cannot be read. */
function bearerClaims(authorization: string | null): { kind?: unknown; roles?: unknown } | null | 'unreadable' {
  if (!authorization) return null
  const [scheme, value] = authorization.trim().split(/\s+/, 2)
  if (scheme.toLowerCase() !== 'bearer' || !value) return 'unreadable'
  try {
    const payload = value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const claims: unknown = JSON.parse(atob(payload))
    return claims && typeof claims === 'object' ? (claims as { kind?: unknown; roles?: unknown }) : 'unreadable'
  } catch {
    return 'unreadable'
  }
}

/** True for no token, or a phone's token (device or citizen, no role but citizen); false for a staff
 * token and for anything that cannot be read as a token. */
export function isPhoneToken(authorization: string | null): boolean {
  const claims = bearerClaims(authorization)
  if (claims === null) return true
  if (claims === 'unreadable') return false
  const roles = Array.isArray(claims.roles) ? claims.roles : []
  return typeof claims.kind === 'string' && PHONE_KINDS.includes(claims.kind) && roles.every((r) => r === 'citizen')
}

/** The cache a GET of the API may be kept in, or null: never cached. */
export function apiCacheFor(url: URL, method: string, authorization: string | null): string | null {
  if (method !== 'GET' || !url.pathname.startsWith('/api/')) return null
  if (!isPhoneToken(authorization)) return null
  if (authorization && MARKED_FOR_CALLER.some((path) => path.test(url.pathname))) return OWN_CACHE
  if (PUBLIC_PATHS.some((path) => path.test(url.pathname))) return PUBLIC_CACHE
  if (OWN_PATHS.some((path) => path.test(url.pathname))) return OWN_CACHE
  return null
}

/** Photo renditions are cached first: GET /api/v1/photos/{id}/{display,thumb}.jpg. */
export function isPhotoRendition(url: URL, method: string): boolean {
  return method === 'GET' && PHOTO_PATH.test(url.pathname)
}

/** A file of the field app, cached first: its name changes with its content. */
export function isFieldAsset(url: URL, method: string): boolean {
  return method === 'GET' && FIELD_ASSET.test(url.pathname)
}

/** Caches that hold API answers (anything but Workbox's precache of the app itself and the field
 * app's files). */
export function holdsApiData(cacheName: string): boolean {
  return !cacheName.startsWith('workbox-precache') && cacheName !== FIELD_APP_CACHE
}
