// Dates on the desk as the UI's language writes them, and back from what a person types.

function iso(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null
  return date.toISOString().slice(0, 10)
}

/** "2026-11-25" as the locale writes it in full: 2026年11月25日, November 25, 2026. */
export function formatDate(value: string, locale: string): string {
  const [year, month, day] = value.split('-').map(Number)
  if (!year || !month || !day) return ''
  const format = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })
  return format.format(new Date(Date.UTC(year, month - 1, day)))
}

/** The ISO date in what a person typed (2026-11-25, 2026/11/25, 2026年11月25日, 20261125, or the
 * English words formatDate writes), or null when it names no real day. */
export function parseDate(typed: string): string | null {
  const value = typed.trim()
  const numeric =
    /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(value) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(value)
  if (numeric) return iso(Number(numeric[1]), Number(numeric[2]), Number(numeric[3]))
  if (/[a-z]/i.test(value) && /\b\d{4}\b/.test(value)) {
    const date = new Date(value)
    if (!Number.isNaN(date.getTime())) return iso(date.getFullYear(), date.getMonth() + 1, date.getDate())
  }
  return null
}
