// The voice note's limits and type (POST /api/v1/field/voice-notes takes audio/webm, audio/ogg,
// audio/mp4 or audio/mpeg, at most 2 MB and 120 s).
export const MAX_SECONDS = 120
export const MAX_BYTES = 2 * 1024 * 1024
const TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/ogg', 'audio/mp4', 'audio/mpeg']

/** The first type this browser records in, or null: it cannot record. */
export function recordingType(isSupported: (type: string) => boolean): string | null {
  return TYPES.find((type) => isSupported(type)) ?? null
}

/** The type the server is told: without the codecs parameter. */
export function baseType(type: string): string {
  return type.split(';')[0].trim()
}

/** "0:07 / 2:00" */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}
