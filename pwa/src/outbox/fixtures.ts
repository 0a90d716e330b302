// A queued report as the outbox tests need it (used by tests only).
import type { QueuedReport } from './store'

/** Reports queued in the order of their id's last digit, each with its photos not yet uploaded. */
export function queuedReport(clientId: string, photoCount = 1): QueuedReport {
  return {
    clientId,
    queuedAt: new Date(Date.now() + Number(clientId.slice(-1))).toISOString(),
    body: {
      type: 'complaint',
      category_code: 'C0101',
      description: '井盖松动',
      location: { lat: 30.2741, lng: 120.1551 },
      address: null,
    },
    photos: Array.from({ length: photoCount }, (_, i) => ({
      id: `${clientId}-p${i}`,
      blob: new Blob([`photo ${i}`], { type: 'image/jpeg' }),
    })),
    token: 'device-token',
    locale: 'zh-CN',
    attempts: 0,
  }
}
