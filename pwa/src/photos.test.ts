import { describe, expect, it } from 'vitest'
import { fitWithin } from './photos'

describe('fitWithin', () => {
  it('brings the long side down to the limit, keeping the shape', () => {
    expect(fitWithin(4000, 3000, 1600)).toEqual({ width: 1600, height: 1200 })
    expect(fitWithin(3000, 4000, 1600)).toEqual({ width: 1200, height: 1600 })
    expect(fitWithin(4032, 1816, 1600)).toEqual({ width: 1600, height: 721 })
  })

  it('never enlarges', () => {
    expect(fitWithin(800, 600, 1600)).toEqual({ width: 800, height: 600 })
    expect(fitWithin(1, 5000, 1600)).toEqual({ width: 1, height: 1600 })
  })
})
