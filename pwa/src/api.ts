// The API client: one anonymous device token per phone, sent with every call, in the user's language.
import { currentLocale } from './i18n'
import { ApiError, problemOf } from './problem'

export { ApiError, problemOf }

const TOKEN_KEY = 'city.token'

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}

export function setToken(value: string): void {
  localStorage.setItem(TOKEN_KEY, value)
}

/** Forget this phone's token; the next call registers a new anonymous device. */
export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY)
}

/** "device" (anonymous) or "citizen" (phone verified), read from the token's own claims. */
export function tokenKind(): string | null {
  const value = token()
  if (!value) return null
  try {
    const payload = value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    return (JSON.parse(atob(payload)) as { kind?: string }).kind ?? null
  } catch {
    return null
  }
}

let registering: Promise<string> | null = null

/** One device registration even when the first calls start together: photos and their report
 * must be sent under the same identity. */
export async function ensureToken(): Promise<string> {
  const existing = token()
  if (existing) return existing
  registering ??= call<{ token: string }>('POST', '/api/v1/auth/device', undefined, false)
    .then((answer) => {
      setToken(answer.token)
      return answer.token
    })
    .finally(() => {
      registering = null
    })
  return registering
}

export async function requestHeaders(auth: boolean, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'Accept-Language': currentLocale(), ...extra }
  if (auth) headers.Authorization = `Bearer ${await ensureToken()}`
  return headers
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  auth = true,
  extraHeaders: Record<string, string> = {},
  renewed = false,
): Promise<T> {
  const headers = await requestHeaders(auth, extraHeaders)
  let payload: BodyInit | undefined
  if (body instanceof FormData) payload = body
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const response = await fetch(path, { method, headers, body: payload })
  if (!response.ok) {
    const error = problemOf(response.status, await response.text(), response.statusText)
    // The server no longer knows this phone's token (its session ended or ran out): the phone goes on
    // as a new anonymous device, once, rather than failing every call from now on.
    if (auth && !renewed && error.status === 401 && error.code === 'invalid_token') {
      forgetToken()
      return call<T>(method, path, body, auth, extraHeaders, true)
    }
    throw error
  }
  // No content (a DELETE, say): nothing to parse.
  return (response.status === 204 ? undefined : await response.json()) as T
}
