// A wait in words: "45 seconds", "59 minutes", "2 hours 5 minutes" ("59分钟", "2小时5分钟"), never
// "3540 s". Rounded up, so the app never says "ready" before the server is.

function unit(locale: string, name: 'second' | 'minute' | 'hour', value: number): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'long' }).format(value)
}

export function formatWait(seconds: number, locale: string): string {
  const whole = Math.max(0, Math.ceil(seconds))
  if (whole < 60) return unit(locale, 'second', whole)
  const minutes = Math.ceil(whole / 60)
  if (minutes < 60) return unit(locale, 'minute', minutes)
  const hours = Math.floor(minutes / 60)
  const rest = minutes % 60
  if (rest === 0) return unit(locale, 'hour', hours)
  // Chinese writes the two amounts together ("2小时5分钟"), English with a space.
  const gap = locale.startsWith('zh') ? '' : ' '
  return `${unit(locale, 'hour', hours)}${gap}${unit(locale, 'minute', rest)}`
}
