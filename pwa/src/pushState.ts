// What this browser remembers of Web Push per face of the app (localStorage), and the offer waiting to
// be shown. Tiny and free of the push logic (src/push.ts), which the first screen does not load.
import { ref } from 'vue'
import type { Face } from './pushWorker'

export interface PushMemory {
  /** Our own question was put ('asked') or turned down ('declined'): it is never put again unprompted. */
  offer?: 'asked' | 'declined'
  /** Turned on here, and what the server was last told: the subscription's endpoint and language. */
  on?: boolean
  endpoint?: string
  language?: string
}

/** The question to put now: may we notify ('ask'), or how to add the app to the Home Screen first
 * ('install': iPhone and iPad). Shown by App.vue (citizen) and FieldLayout.vue (field). */
export interface PushOffer {
  face: Face
  kind: 'ask' | 'install'
}

export const FACES: readonly Face[] = ['citizen', 'field', 'staff']
export const pushOffer = ref<PushOffer | null>(null)

const keyOf = (face: Face): string => `city.push.${face}`

export function memoryOf(face: Face): PushMemory {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(keyOf(face)) ?? '{}')
    return saved && typeof saved === 'object' ? (saved as PushMemory) : {}
  } catch {
    return {}
  }
}

/** Change some of what is remembered; a field given as undefined is forgotten (JSON leaves it out). */
export function remember(face: Face, change: Partial<PushMemory>): void {
  localStorage.setItem(keyOf(face), JSON.stringify({ ...memoryOf(face), ...change }))
}
