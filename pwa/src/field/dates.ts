// Times as the field app shows them: the phone's own zone, short.

/** "11月25日 14:30" / "Nov 25, 14:30". */
export function when(iso: string | null, locale: string): string {
  if (!iso) return ''
  return new Date(iso).toLocaleString(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** "2:05:09" from seconds. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

/** "850 m" or "1.25 km". */
export function kilometres(metres: number): { value: string; unit: 'm' | 'km' } {
  return metres < 1000 ? { value: String(Math.round(metres)), unit: 'm' } : { value: (metres / 1000).toFixed(2), unit: 'km' }
}
