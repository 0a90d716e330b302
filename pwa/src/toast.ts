// Short confirmations ("Saved; sending"): shown for a moment and read out by screen readers, from a
// live region that is always on the page (App.vue), which a toast made on the fly is not.
import { ref } from 'vue'

export interface Toast {
  message: string
  kind: 'info' | 'success' | 'fail'
}

const SHOWN_MS = 3000
export const toast = ref<Toast | null>(null)
let timer: number | undefined

function show(message: string, kind: Toast['kind']): void {
  window.clearTimeout(timer)
  toast.value = { message, kind }
  timer = window.setTimeout(() => (toast.value = null), SHOWN_MS)
}

export const showToast = (message: string): void => show(message, 'info')
export const showSuccessToast = (message: string): void => show(message, 'success')
export const showFailToast = (message: string): void => show(message, 'fail')
