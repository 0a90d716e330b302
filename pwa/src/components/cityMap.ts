// A Leaflet map on the city's tiles that turns into a plain coordinate grid when no tile loads
// (tile server unreachable, or offline), so markers and taps keep working.
import L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import { type Ref, ref } from 'vue'
import { clientConfig } from '../config'

export const pinIcon = L.divIcon({ className: 'city-pin', iconSize: [28, 28], iconAnchor: [14, 28] })
// A tile server that never answers raises no error: give it this long.
const TILE_PATIENCE_MS = 4000

export function createCityMap(element: HTMLElement, center: L.LatLngExpression, zoom: number): {
  map: L.Map
  gridMode: Ref<boolean>
} {
  // maxZoom on the map itself: marker clustering needs it before any tile layer is added.
  const map = L.map(element, { zoomControl: true, attributionControl: true, maxZoom: 19 }).setView(center, zoom)
  const gridMode = ref(false)
  let grid: L.LayerGroup | null = null

  function drawGrid(): void {
    if (!grid) return
    grid.clearLayers()
    const bounds = map.getBounds()
    // About six lines across the view, on round coordinates (1, 2 or 5 × a power of ten).
    const raw = (bounds.getEast() - bounds.getWest()) / 6
    const magnitude = 10 ** Math.floor(Math.log10(raw))
    const step = magnitude * (raw / magnitude >= 5 ? 5 : raw / magnitude >= 2 ? 2 : 1)
    const style = { color: '#c8c9cc', weight: 1, interactive: false }
    for (let lng = Math.ceil(bounds.getWest() / step) * step; lng < bounds.getEast(); lng += step) {
      grid.addLayer(L.polyline([[bounds.getSouth(), lng], [bounds.getNorth(), lng]], style))
    }
    for (let lat = Math.ceil(bounds.getSouth() / step) * step; lat < bounds.getNorth(); lat += step) {
      grid.addLayer(L.polyline([[lat, bounds.getWest()], [lat, bounds.getEast()]], style))
    }
  }

  function useGrid(tiles: L.TileLayer | null): void {
    if (gridMode.value) return
    gridMode.value = true
    if (tiles) map.removeLayer(tiles)
    grid = L.layerGroup().addTo(map)
    map.on('moveend', drawGrid)
    drawGrid()
  }

  clientConfig()
    .then((config) => {
      let loaded = false
      const tiles = L.tileLayer(config.map.tile_url, { maxZoom: 19, attribution: config.map.attribution })
      tiles.on('tileload', () => (loaded = true))
      tiles.on('tileerror', () => loaded || useGrid(tiles))
      tiles.addTo(map)
      window.setTimeout(() => loaded || useGrid(tiles), TILE_PATIENCE_MS)
    })
    .catch(() => useGrid(null))

  return { map, gridMode }
}
