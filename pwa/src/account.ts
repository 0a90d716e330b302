// The phone-verified citizen's sign-out: the server ends the session, the phone forgets the token and
// what it kept of the API, hears no more pushes about the account's requests, and goes on as a new
// anonymous device. Reports still waiting to be sent stay in the outbox: they go under the next token
// (and move to the account at the next sign-in).
import { forgetToken, token } from './api'
import { citizenNotices } from './notices'
import { releaseToken } from './outbox'
import { memoryOf } from './pushState'
import { clearApiCaches, revoke } from './signout'

export async function signOut(): Promise<void> {
  if (memoryOf('citizen').on) await import('./push').then((push) => push.disablePush(citizenNotices)).catch(() => undefined)
  const previous = token()
  forgetToken()
  await Promise.all([
    revoke(previous),
    clearApiCaches().catch(() => undefined),
    previous ? releaseToken(previous).catch(() => undefined) : undefined,
  ])
  window.dispatchEvent(new CustomEvent('outbox-changed'))
}
