// Photos are made smaller on the phone before they queue: a 12 MP picture becomes ~300 kB, which a
// bad connection can carry. Orientation is applied from EXIF; the re-encoded copy carries no EXIF.
// The citizen's app always does (their position and time are not ours to keep); the field app sends
// the camera's own file (fieldUploadFile below).

export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

export async function downscale(file: Blob, maxSide = 1600, quality = 0.85): Promise<Blob> {
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  } catch {
    // A format this browser cannot decode (HEIC on most): the server's pipeline takes it as it is.
    return file
  }
  const { width, height } = fitWithin(bitmap.width, bitmap.height, maxSide)
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const context = canvas.getContext('2d')
  if (!context) return file
  context.drawImage(bitmap, 0, 0, width, height)
  bitmap.close()
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob ?? file), 'image/jpeg', quality))
}

/** The camera's formats the server takes as they are (backend/uploads/pipeline.py: ACCEPTED_FORMATS). */
export const ORIGINAL_TYPES = ['image/jpeg', 'image/heic', 'image/heif', 'image/png', 'image/webp']
/** The largest original the field app sends (the server takes up to 20 MB, CITY_MAX_UPLOAD_MB). */
export const MAX_ORIGINAL_BYTES = 8 * 1024 * 1024

/** Whether the field app sends this photo as the camera made it. */
export function keepsOriginal(file: Blob): boolean {
  return ORIGINAL_TYPES.includes(file.type.split(';')[0].toLowerCase()) && file.size <= MAX_ORIGINAL_BYTES
}

/** The file an inspector's photo goes up as. The original, not a re-encoded copy: its EXIF (where and
 * when the camera took it) is the evidence the server checks against the case's point (issue 12). The
 * server keeps EXIF only in the private original and strips it from every public copy. A file over
 * 8 MB (or of another type) is downscaled, as the citizen's are: it would hold the outbox too long on a
 * bad connection, and such a report is still checked by the phone's position and the track. Queued
 * offline, originals wait in IndexedDB: a few MB a photo, some hundreds of MB for a day without a
 * connection at worst, within the browser's quota for the origin (a share of the free disk). */
export async function fieldUploadFile(file: Blob): Promise<Blob> {
  return keepsOriginal(file) ? file : downscale(file)
}
