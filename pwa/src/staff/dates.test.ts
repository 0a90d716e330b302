import { describe, expect, it } from 'vitest'
import { formatDate, parseDate } from './dates'

describe('desk dates', () => {
  it('write a day the way the UI language does, never month first in Chinese', () => {
    expect(formatDate('2026-11-25', 'zh-CN')).toBe('2026年11月25日')
    expect(formatDate('2026-11-25', 'en')).toBe('November 25, 2026')
    expect(formatDate('', 'zh-CN')).toBe('')
  })

  it.each([
    ['2026-11-25', '2026-11-25'],
    ['2026/11/5', '2026-11-05'],
    ['2026.1.05', '2026-01-05'],
    [' 2026年11月25日 ', '2026-11-25'],
    ['20261125', '2026-11-25'],
    ['November 25, 2026', '2026-11-25'],
    ['25 Nov 2026', '2026-11-25'],
  ])('read %s as %s', (typed, expected) => {
    expect(parseDate(typed)).toBe(expected)
  })

  it.each(['2026-02-30', '2026-13-01', '11/25/2026', '25.11.2026', 'tomorrow', ''])('refuse %s', (typed) => {
    expect(parseDate(typed)).toBeNull()
  })

  it('read back what they write', () => {
    for (const locale of ['zh-CN', 'en']) expect(parseDate(formatDate('2027-03-09', locale))).toBe('2027-03-09')
  })
})
