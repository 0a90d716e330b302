// Elders' mode (长辈模式): larger text and targets, more contrast, a simpler home. One class on <html>
// (src/styles.css does the rest with CSS variables, Vant's included), remembered on the phone.
import { ref, watch } from 'vue'

const STORAGE_KEY = 'city.elders'

export const elders = ref(localStorage.getItem(STORAGE_KEY) === '1')

watch(
  elders,
  (on) => {
    document.documentElement.classList.toggle('elders', on)
    if (on) localStorage.setItem(STORAGE_KEY, '1')
    else localStorage.removeItem(STORAGE_KEY)
  },
  { immediate: true },
)
