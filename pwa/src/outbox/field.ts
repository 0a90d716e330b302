// The field app's items in the outbox (QueuedFieldItem): the body each sends once its files are up,
// and the case it is about in the server's answer. Free of the page's modules: the service worker
// sends these too.
import type { QueuedFieldItem, QueuedPhoto } from './store'

/** The item's body with the ids the server gave its files: a report's photos, after-photos and voice
 * note; a task result's photos; a roll-call answer's one photo. Each write names its client_id (a roll
 * call's answer is once by itself: the first answer stays). */
export function fieldBody(item: QueuedFieldItem, files: QueuedPhoto[]): Record<string, unknown> {
  const ids = (slot: string): string[] =>
    files.filter((file) => (file.slot ?? 'photo') === slot).map((file) => file.uploadedId as string)
  switch (item.kind) {
    case 'field_report':
      return {
        ...item.body,
        client_id: item.clientId,
        photo_ids: ids('photo'),
        after_photo_ids: ids('after'),
        voice_note_id: ids('voice')[0] ?? null,
      }
    case 'task_result':
      return { ...item.body, client_id: item.clientId, photo_ids: ids('photo') }
    case 'roll_call':
      return { ...item.body, photo_id: ids('photo')[0] ?? null }
  }
}

/** The case an answer is about, as the sender reports it: a report's own, a task's case; a roll call
 * names none. */
export function fieldAnswer(item: QueuedFieldItem, answer: unknown): { id: string; tracking_no: string } {
  const value = (answer ?? {}) as { id?: string; tracking_no?: string; case?: { tracking_no?: string } }
  return {
    id: value.id ?? item.target ?? item.clientId,
    tracking_no: value.tracking_no ?? value.case?.tracking_no ?? '',
  }
}

/** Where a file goes up: the voice note to the field's private store, any photo to the uploads. */
export function uploadPath(file: QueuedPhoto): string {
  return file.slot === 'voice' ? '/api/v1/field/voice-notes' : '/api/v1/uploads'
}

/** A file name with the extension of its type (the server checks the type, not the name). */
export function uploadName(file: QueuedPhoto): string {
  const type = file.blob.type.split(';')[0]
  const extension =
    {
      'audio/webm': 'webm',
      'audio/ogg': 'ogg',
      'audio/mp4': 'm4a',
      'audio/mpeg': 'mp3',
      // The field app sends the camera's originals as they are (src/photos.ts: fieldUploadFile).
      'image/png': 'png',
      'image/webp': 'webp',
      'image/heic': 'heic',
      'image/heif': 'heif',
    }[type] ?? 'jpg'
  return `${file.id}.${extension}`
}
