// Signing out, for both faces: the server ends the token's session, and this browser forgets what it
// kept of the API. The browser's Cache Storage is keyed by URL only: left alone, one person's answers
// would be served to whoever signs in next on the same phone or desk computer.
import { holdsApiData } from './cachePolicy'

const LOGOUT_PATIENCE_MS = 5000

/** POST /api/v1/auth/logout with the token: the server revokes its session. Never throws: offline,
 * a server without the route (404) or an already dead token (401) must not keep anyone signed in
 * here, and the token is dropped locally whatever the answer. */
export async function revoke(token: string | null): Promise<void> {
  if (!token) return
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), LOGOUT_PATIENCE_MS)
  try {
    await fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      signal: controller.signal,
      keepalive: true,
    })
  } catch {
    // offline or aborted: the token is forgotten here all the same
  } finally {
    clearTimeout(timer)
  }
}

/** Delete every Cache Storage cache that holds API answers (all but the app's own precache). */
export async function clearApiCaches(): Promise<void> {
  if (typeof caches === 'undefined') return // not a secure context: nothing was cached either
  const names = await caches.keys()
  await Promise.all(names.filter(holdsApiData).map((name) => caches.delete(name)))
}
