// An API error as the app sees it: the HTTP status and the problem's stable code and message.
// Its own module, free of the app's i18n, so the service worker can use it too.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export function problemOf(status: number, body: string, fallback: string): ApiError {
  let problem: { code?: string; detail?: string } = {}
  try {
    problem = JSON.parse(body)
  } catch {
    // not problem+json (a proxy's page, say): keep the status
  }
  return new ApiError(status, problem.code ?? 'http_error', problem.detail ?? fallback)
}
