// The staff session: its own token (a shared desk computer is not a citizen's phone), and calls made with it.
import { ApiError, call, problemOf } from '../api'
import { currentLocale } from '../i18n'
import type { NoticeClient } from '../notices'
import { clearApiCaches, revoke } from '../signout'

const TOKEN_KEY = 'city.staff_token'
// Admins keep the desk's reply templates and routing table; they sign in here too.
export const STAFF_ROLES = ['dispatcher', 'supervisor', 'admin']

interface Claims {
  sub: string
  roles: string[]
  exp: number
}

function claims(): Claims | null {
  const value = localStorage.getItem(TOKEN_KEY)
  if (!value) return null
  try {
    return JSON.parse(atob(value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as Claims
  } catch {
    return null
  }
}

/** Signed in with a staff role and a token that has not expired. */
export function signedIn(): boolean {
  const current = claims()
  return !!current && current.exp * 1000 > Date.now() && current.roles.some((r) => STAFF_ROLES.includes(r))
}

export function hasRole(role: string): boolean {
  return claims()?.roles.includes(role) ?? false
}

export function isAdmin(): boolean {
  return hasRole('admin')
}

/** End the desk's session: the token is forgotten here at once, the server revokes its session
 * (POST /api/v1/auth/logout; a network error or a 404 does not stop the sign-out), and the caches
 * holding API answers are deleted. */
export async function signOut(): Promise<void> {
  const value = localStorage.getItem(TOKEN_KEY)
  localStorage.removeItem(TOKEN_KEY)
  await Promise.all([revoke(value), clearApiCaches().catch(() => undefined)])
}

export async function signIn(username: string, password: string): Promise<void> {
  const answer = await staffCall<{ token: string }>('POST', '/api/v1/auth/login', { username, password }, false)
  localStorage.setItem(TOKEN_KEY, answer.token)
}

function bearerOf(value: string | null): Record<string, string> {
  return value ? { Authorization: `Bearer ${value}` } : {}
}

export function authHeaders(extra: Record<string, string> = {}, token = localStorage.getItem(TOKEN_KEY)): Record<string, string> {
  return { 'Accept-Language': currentLocale(), ...bearerOf(token), ...extra }
}

/** A session that ran out (staff tokens last a shift) goes back to the sign-in page, then returns here.
 * Only while the token the call went with is still the desk's: an answer to a call sent just before
 * a sign-out (the queue's refresh) must not turn the sign-out into "sign in again to see the queue". */
function expireOn401(error: unknown, sent: string | null): never {
  if (error instanceof ApiError && error.status === 401 && sent && localStorage.getItem(TOKEN_KEY) === sent) {
    // The session is over already (expired or revoked): nothing to tell the server.
    localStorage.removeItem(TOKEN_KEY)
    const next = `/staff/login?next=${encodeURIComponent(window.location.pathname)}`
    void clearApiCaches()
      .catch(() => undefined)
      .finally(() => window.location.assign(next))
  }
  throw error
}

/** A raw answer (a photo, a CSV file, a 204 without a body) under the staff session. */
export async function staffFetch(path: string, method = 'GET'): Promise<Response> {
  const sent = localStorage.getItem(TOKEN_KEY)
  const response = await fetch(path, { method, headers: authHeaders({}, sent) })
  if (!response.ok) expireOn401(problemOf(response.status, await response.text(), response.statusText), sent)
  return response
}

/** The app's API client, under the staff session instead of the phone's device token. */
export async function staffCall<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  if (!auth) return call<T>(method, path, body, false)
  const sent = localStorage.getItem(TOKEN_KEY)
  return call<T>(method, path, body, false, bearerOf(sent)).catch((error: unknown) => expireOn401(error, sent))
}

/** The inbox and push notifications under the staff session. */
export const staffNotices: NoticeClient = { face: 'staff', call: (method, path, body) => staffCall(method, path, body) }

/** A query string from a filter object: empty values left out, lists repeated. */
export function query(params: Record<string, string | string[] | boolean | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '' || value === false) continue
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}
