import { describe, expect, it } from 'vitest'
import { chooseLocale } from './locale'

describe('chooseLocale', () => {
  it.each([
    [['en-US', 'en'], 'en'],
    [['en-GB'], 'en'],
    [['EN'], 'en'],
    [['zh-CN', 'en-US'], 'zh-CN'],
    [['zh-TW'], 'zh-CN'],
    [['zh-Hant-HK'], 'zh-CN'],
    // The first language we have wins, wherever it stands in the list.
    [['fr-FR', 'de', 'en-US', 'zh-CN'], 'en'],
    [['ja', 'zh'], 'zh-CN'],
    [['fr', 'de'], 'zh-CN'],
    [[], 'zh-CN'],
    // Only a whole subtag counts: "eng" or "zha" are other languages.
    [['eng', 'zha'], 'zh-CN'],
  ] as const)('starts %j in %s', (languages, expected) => {
    expect(chooseLocale(null, languages)).toBe(expected)
  })

  it('keeps the user’s explicit choice over the browser’s languages', () => {
    expect(chooseLocale('zh-CN', ['en-US'])).toBe('zh-CN')
    expect(chooseLocale('en', ['zh-CN'])).toBe('en')
  })

  it('ignores a saved value that is not one of ours', () => {
    expect(chooseLocale('fr', ['en-US'])).toBe('en')
    expect(chooseLocale('', ['zh-CN'])).toBe('zh-CN')
  })
})
