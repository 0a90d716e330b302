import { describe, expect, it } from 'vitest'
import { baseType, clock, recordingType } from './voice'

describe('the voice note', () => {
  it('records in the first type the browser has, and names it without its codecs', () => {
    expect(recordingType((type) => type.startsWith('audio/ogg'))).toBe('audio/ogg;codecs=opus')
    expect(recordingType((type) => type === 'audio/mp4')).toBe('audio/mp4')
    expect(recordingType(() => false)).toBeNull()
    expect(baseType('audio/webm;codecs=opus')).toBe('audio/webm')
  })

  it('shows minutes and seconds', () => {
    expect([clock(0), clock(7.9), clock(120)]).toEqual(['0:00', '0:07', '2:00'])
  })
})
