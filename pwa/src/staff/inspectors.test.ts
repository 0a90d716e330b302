import { describe, expect, it } from 'vitest'
import {
  type Inspector,
  type Task,
  ageNow,
  byShiftThenName,
  daysBefore,
  distanceParts,
  formatPositionAge,
  filterGrids,
  gridChoices,
  isStale,
  tabAfterKey,
  TASK_STATES,
  taskKindFor,
  taskStateParam,
  tasksOfCase,
  trackLines,
  verifyTaskAt,
  voiceNoteKb,
} from './inspectors'

function inspector(fields: Partial<Inspector>): Inspector {
  return {
    id: 'i',
    username: 'u',
    display_name: null,
    grid_codes: [],
    on_shift: false,
    shift_id: null,
    last_position: null,
    last_position_at: null,
    last_position_age_s: null,
    open_tasks: 0,
    ...fields,
  }
}

function task(fields: Partial<Task>): Task {
  return {
    id: 't',
    kind: 'verify',
    status: 'open',
    inspector_id: 'i',
    inspector_name: 'inspector',
    assigned_at: '2026-11-25T08:00:00Z',
    due_at: '2026-11-25T10:00:00Z',
    overdue: false,
    outcome: null,
    completed_at: null,
    note: null,
    case: { id: 'c', tracking_no: '2026112500001', status: 'submitted', status_name: '待受理', category_name: null, address: null },
    ...fields,
  }
}

describe('a position and its age', () => {
  it.each([
    [0, 'just now'],
    [4, 'just now'],
    [45, '45 seconds ago'],
    [60, '1 minute ago'],
    [299, '4 minutes ago'],
    [7300, '2 hours ago'],
    [3 * 86_400 + 5, '3 days ago'],
    [-3, 'just now'],
  ])('says %i s as "%s" in English', (seconds, words) => {
    expect(formatPositionAge(seconds, 'en', 'just now')).toBe(words)
  })

  it.each([
    [0, '刚刚'],
    [300, '5分钟前'],
    [7300, '2小时前'],
    [86_400, '1天前'],
  ])('says %i s as "%s" in Chinese', (seconds, words) => {
    expect(formatPositionAge(seconds, 'zh-CN', '刚刚')).toBe(words)
  })

  it('grows with the time since the page loaded, and stays unknown when there is none', () => {
    expect(ageNow(10, 1_000, 31_999)).toBe(40)
    expect(ageNow(10, 1_000, 500)).toBe(10)
    expect(ageNow(null, 1_000, 60_000)).toBeNull()
  })

  it('is stale after five minutes, or when there is no position at all', () => {
    expect(isStale(300)).toBe(false)
    expect(isStale(301)).toBe(true)
    expect(isStale(null)).toBe(true)
  })
})

describe('the inspectors list', () => {
  it('puts those on shift first, then goes by name', () => {
    const list = [
      inspector({ id: 'b', username: 'b' }),
      inspector({ id: 'c', username: 'c', on_shift: true }),
      inspector({ id: 'a', username: 'z', display_name: 'a' }),
    ].sort(byShiftThenName)
    expect(list.map((i) => i.id)).toEqual(['c', 'a', 'b'])
  })
})

describe('a track', () => {
  it('turns [lng, lat] into [lat, lng] and keeps each segment a line of its own', () => {
    expect(
      trackLines([
        [
          [120.1, 30.2],
          [120.2, 30.3],
        ],
        [],
        [[120.3, 30.4]],
      ]),
    ).toEqual([
      [
        [30.2, 120.1],
        [30.3, 120.2],
      ],
      [[30.4, 120.3]],
    ])
  })
})

describe('tasks', () => {
  it('go with a case status: verify a report not yet taken in, check a handled case', () => {
    expect(taskKindFor('submitted')).toBe('verify')
    expect(taskKindFor('handled')).toBe('check')
    expect(taskKindFor('accepted')).toBeNull()
    expect(taskKindFor('closed')).toBeNull()
  })

  it('of one case, once each, the open ones first and the newest first', () => {
    const open = task({ id: 'open', assigned_at: '2026-11-25T08:00:00Z' })
    const done = task({ id: 'done', status: 'done', assigned_at: '2026-11-25T09:00:00Z' })
    const older = task({ id: 'older', status: 'done', assigned_at: '2026-11-24T09:00:00Z' })
    const other = task({ id: 'other', case: { ...open.case, id: 'x' } })
    expect(tasksOfCase([older, done, other, open, open], 'c').map((t) => t.id)).toEqual(['open', 'done', 'older'])
  })

  it('find the verify result a timeline step records', () => {
    const done = task({ status: 'done', outcome: 'not_found', completed_at: '2026-11-25T09:00:00.250Z' })
    expect(verifyTaskAt([done], '2026-11-25T09:00:00Z')).toBe(done)
    expect(verifyTaskAt([done], '2026-11-25T10:00:00Z')).toBeUndefined()
    expect(verifyTaskAt([{ ...done, kind: 'check' }], '2026-11-25T09:00:00Z')).toBeUndefined()
  })

  it('are listed by a state the address may name', () => {
    expect(taskStateParam('overdue')).toBe('overdue')
    expect(taskStateParam('cancelled')).toBeNull()
    expect(taskStateParam(undefined)).toBeNull()
  })
})

describe('the tab switch', () => {
  it('goes round with the arrows and to the ends with Home and End', () => {
    expect(tabAfterKey(TASK_STATES, 'open', 'ArrowRight')).toBe('overdue')
    expect(tabAfterKey(TASK_STATES, 'done', 'ArrowRight')).toBe('open')
    expect(tabAfterKey(TASK_STATES, 'open', 'ArrowLeft')).toBe('done')
    expect(tabAfterKey(TASK_STATES, 'overdue', 'Home')).toBe('open')
    expect(tabAfterKey(TASK_STATES, 'open', 'End')).toBe('done')
    expect(tabAfterKey(TASK_STATES, 'open', 'Enter')).toBeNull()
  })
})

describe('grids to choose from', () => {
  it('are each listed once, by code, with the first name any source knows', () => {
    expect(
      gridChoices(
        [{ code: '002', name: null }],
        [
          { code: '002', name: '二号网格' },
          { code: '001', name: '一号网格' },
        ],
        [{ code: '001', name: 'other' }],
      ),
    ).toEqual([
      { code: '001', name: '一号网格' },
      { code: '002', name: '二号网格' },
    ])
  })

  it('are found by a part of their code or name, whatever the case', () => {
    const grids = [
      { code: '330102001001001', name: '清波街道柳翠社区001网格' },
      { code: '330102002002001', name: '湖滨街道东坡社区001网格' },
      { code: 'X-1', name: null },
    ]
    expect(filterGrids(grids, '  ')).toEqual(grids)
    expect(filterGrids(grids, '002002').map((g) => g.code)).toEqual(['330102002002001'])
    expect(filterGrids(grids, '柳翠').map((g) => g.code)).toEqual(['330102001001001'])
    expect(filterGrids(grids, ' x-1 ').map((g) => g.code)).toEqual(['X-1'])
    expect(filterGrids(grids, '不存在')).toEqual([])
  })
})

describe('days and distances', () => {
  it('count days back across months and years', () => {
    expect(daysBefore('2026-03-01', 1)).toBe('2026-02-28')
    expect(daysBefore('2026-01-05', 364)).toBe('2025-01-06')
  })

  it('say metres under a kilometre, kilometres with one decimal from there', () => {
    expect(distanceParts(850.4)).toEqual({ unit: 'm', value: '850' })
    expect(distanceParts(2049)).toEqual({ unit: 'km', value: '2.0' })
  })
})

describe('voice notes', () => {
  it('are sized in whole kilobytes, never 0', () => {
    expect(voiceNoteKb(12_345)).toBe(12)
    expect(voiceNoteKb(100)).toBe(1)
    expect(voiceNoteKb(0)).toBe(1)
  })
})
