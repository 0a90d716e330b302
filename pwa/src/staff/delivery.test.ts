import { describe, expect, it } from 'vitest'
import { eventName, formatAge, replayable, secondsSince, stateAfterKey, stateParam } from './delivery'

describe('formatAge', () => {
  it.each([
    [45, '45 seconds'],
    [7500, '2 hours 5 minutes'],
    [86_399, '24 hours'],
    [86_400, '1 day'],
    [3 * 86_400 + 4 * 3600 + 59 * 60, '3 days 4 hours'],
    [-5, '0 seconds'],
  ])('says %i s as "%s" in English', (seconds, words) => {
    expect(formatAge(seconds, 'en')).toBe(words)
  })

  it.each([
    [3540, '59分钟'],
    [2 * 86_400, '2天'],
    [3 * 86_400 + 4 * 3600, '3天4小时'],
  ])('says %i s as "%s" in Chinese', (seconds, words) => {
    expect(formatAge(seconds, 'zh-CN')).toBe(words)
  })
})

describe('the state switch', () => {
  it('goes round with the arrows and to the ends with Home and End', () => {
    expect(stateAfterKey('pending', 'ArrowRight')).toBe('failed')
    expect(stateAfterKey('dead', 'ArrowRight')).toBe('pending')
    expect(stateAfterKey('pending', 'ArrowLeft')).toBe('dead')
    expect(stateAfterKey('failed', 'ArrowLeft')).toBe('pending')
    expect(stateAfterKey('failed', 'ArrowDown')).toBeNull()
    expect(stateAfterKey('failed', 'Home')).toBe('pending')
    expect(stateAfterKey('failed', 'End')).toBe('dead')
    expect(stateAfterKey('failed', 'Enter')).toBeNull()
  })

  it('takes a state from the address only when it is one', () => {
    expect(stateParam('dead')).toBe('dead')
    expect(stateParam('delivered')).toBeNull()
    expect(stateParam(undefined)).toBeNull()
  })

  it('offers a replay for tried events only', () => {
    expect(replayable('pending')).toBe(false)
    expect(replayable('failed')).toBe(true)
    expect(replayable('dead')).toBe(true)
  })
})

describe('events in words', () => {
  it('names an event by its type and case number', () => {
    expect(eventName({ event_type: 'case.dispatched', tracking_no: '2026112500042' })).toBe('case.dispatched 2026112500042')
    expect(eventName({ event_type: 'roll_call.sent', tracking_no: null })).toBe('roll_call.sent')
  })

  it('counts an age from the server time, never below zero', () => {
    const at = Date.parse('2026-11-25T08:00:00Z')
    expect(secondsSince('2026-11-25T07:58:00+00:00', at)).toBe(120)
    expect(secondsSince('2026-11-25T08:00:05Z', at)).toBe(0)
  })
})
