// The phone's position, once (for a report, a result, a clock-in, a roll call).
import type { Point } from './types'

export class NoPosition extends Error {}

export function currentPosition(timeoutMs = 15000): Promise<Point> {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in navigator)) {
      reject(new NoPosition('no geolocation'))
      return
    }
    navigator.geolocation.getCurrentPosition(
      (position) =>
        resolve({
          lat: position.coords.latitude,
          lng: position.coords.longitude,
          accuracy_m: Number.isFinite(position.coords.accuracy) ? Math.round(position.coords.accuracy) : null,
        }),
      (error) => reject(new NoPosition(error.message)),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 10000 },
    )
  })
}
