// What the server says about this city: map tiles and the service area (GET /api/v1/config).
import { call } from './api'

export interface ClientConfig {
  map: { tile_url: string; attribution: string }
  service_area: { center: [number, number]; bounds: [[number, number], [number, number]] } | null
}

let loading: Promise<ClientConfig> | null = null

export function clientConfig(): Promise<ClientConfig> {
  loading ??= call<ClientConfig>('GET', '/api/v1/config', undefined, false).catch((error) => {
    loading = null
    throw error
  })
  return loading
}
