import { describe, expect, it } from 'vitest'
import { formatWait } from './wait'

describe('formatWait', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [61, '2 minutes'],
    [3540, '59 minutes'],
    [3599, '1 hour'],
    [3600, '1 hour'],
    [7500, '2 hours 5 minutes'],
    [86400, '24 hours'],
  ])('says %i s as "%s" in English', (seconds, words) => {
    expect(formatWait(seconds, 'en')).toBe(words)
  })

  it.each([
    [45, '45秒钟'],
    [3540, '59分钟'],
    [7200, '2小时'],
    [7500, '2小时5分钟'],
  ])('says %i s as "%s" in Chinese', (seconds, words) => {
    expect(formatWait(seconds, 'zh-CN')).toBe(words)
  })

  it('never shows a number of seconds of a minute or more', () => {
    for (const seconds of [60, 90, 600, 3540, 3600, 5000, 100_000]) {
      expect(formatWait(seconds, 'en')).not.toMatch(/second/)
      expect(formatWait(seconds, 'zh-CN')).not.toMatch(/秒/)
    }
  })

  it('rounds a fraction of a second up', () => {
    expect(formatWait(0.2, 'en')).toBe('1 second')
  })
})
