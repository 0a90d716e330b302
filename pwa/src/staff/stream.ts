// The live feed over fetch, not EventSource: EventSource cannot send the Authorization header, and a
// token in the URL would end up in proxy logs. It reconnects by itself and resumes with Last-Event-ID.
import type { LiveEvent } from '../types'
import { authHeaders } from './session'

export interface FeedEvent {
  type: string
  data: LiveEvent
}

const RETRY_MS = 3000

export function followFeed(onEvent: (event: FeedEvent) => void, onState: (live: boolean) => void): () => void {
  const controller = new AbortController()
  let lastId: string | null = null

  async function connect(): Promise<void> {
    const headers = authHeaders(lastId ? { 'Last-Event-ID': lastId } : {})
    const response = await fetch('/api/v1/staff/stream', { headers, signal: controller.signal })
    // Signed out or not staff: retrying cannot help.
    if (response.status === 401 || response.status === 403) controller.abort()
    if (!response.ok || !response.body) throw new Error(`stream ${response.status}`)
    onState(true)
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value.replace(/\r\n/g, '\n')
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
      }
    }
  }

  function dispatch(block: string): void {
    const fields: Record<string, string> = {}
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const name = colon < 0 ? line : line.slice(0, colon)
      fields[name] = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    }
    if (fields.id) lastId = fields.id
    if (!fields.event || fields.event === 'ready') return
    onEvent({ type: fields.event, data: JSON.parse(fields.data || '{}') as LiveEvent })
  }

  async function run(): Promise<void> {
    while (!controller.signal.aborted) {
      try {
        await connect()
      } catch {
        // offline, or the server restarted: try again shortly
      }
      onState(false)
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
  }

  void run()
  return () => controller.abort()
}
