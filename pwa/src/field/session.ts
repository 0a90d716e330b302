// The inspector's session in the field app: its own token (city.field_token), apart from the phone's
// citizen token and the desk's, and the calls made with it.
import { ApiError, call, problemOf } from '../api'
import { currentLocale } from '../i18n'
import type { NoticeClient } from '../notices'
import { revoke } from '../signout'

const TOKEN_KEY = 'city.field_token'
const USER_KEY = 'city.field_user'
export const FIELD_ROLE = 'inspector'

interface Claims {
  sub: string
  roles: string[]
  exp: number
}

function claimsOf(value: string | null): Claims | null {
  if (!value) return null
  try {
    return JSON.parse(atob(value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as Claims
  } catch {
    return null
  }
}

export function fieldToken(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}

/** Signed in as an inspector with a token that has not expired. */
export function signedIn(): boolean {
  const current = claimsOf(fieldToken())
  return !!current && current.exp * 1000 > Date.now() && current.roles.includes(FIELD_ROLE)
}

/** The name the inspector signed in with (shown in the app). */
export function userName(): string {
  return localStorage.getItem(USER_KEY) ?? ''
}

/** An account without the inspector role: a staff or citizen account cannot use the field app. */
export class NotInspector extends Error {}

export async function signIn(username: string, password: string): Promise<void> {
  const answer = await call<{ token: string; roles: string[] }>('POST', '/api/v1/auth/login', { username, password }, false)
  if (!answer.roles.includes(FIELD_ROLE)) {
    // Its session is of no use here: end it at once.
    await revoke(answer.token)
    throw new NotInspector(username)
  }
  localStorage.setItem(TOKEN_KEY, answer.token)
  localStorage.setItem(USER_KEY, username)
}

/** Forget the token here and end its session on the server. What waits to be sent (reports, results,
 * track points) stays on the phone and goes once this inspector signs in again. */
export async function signOut(): Promise<void> {
  const value = fieldToken()
  localStorage.removeItem(TOKEN_KEY)
  await revoke(value)
}

function bearerOf(value: string | null): Record<string, string> {
  return value ? { Authorization: `Bearer ${value}` } : {}
}

export function authHeaders(extra: Record<string, string> = {}, token = fieldToken()): Record<string, string> {
  return { 'Accept-Language': currentLocale(), ...bearerOf(token), ...extra }
}

/** A session that ran out goes back to the sign-in page, then returns here; not for an answer to a
 * call sent under a token this phone has since signed out of (or replaced). */
function expireOn401(error: unknown, sent: string | null): never {
  if (error instanceof ApiError && error.status === 401 && sent && fieldToken() === sent) {
    localStorage.removeItem(TOKEN_KEY)
    window.location.assign(`/field/login?next=${encodeURIComponent(window.location.pathname)}`)
  }
  throw error
}

/** The app's API client under the inspector's session. */
export async function fieldCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const sent = fieldToken()
  return call<T>(method, path, body, false, bearerOf(sent)).catch((error: unknown) => expireOn401(error, sent))
}

/** The inbox and push notifications under the inspector's session. */
export const fieldNotices: NoticeClient = { face: 'field', call: fieldCall }

/** A raw answer under the inspector's session (problem+json turned into an ApiError). */
export async function fieldFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const sent = fieldToken()
  const response = await fetch(path, { ...init, headers: authHeaders((init.headers ?? {}) as Record<string, string>, sent) })
  if (!response.ok) expireOn401(problemOf(response.status, await response.text(), response.statusText), sent)
  return response
}
