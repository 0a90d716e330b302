// Which language the app starts in: the user's own choice if they made one, else the browser's first
// language we have, else zh-CN. Free of imports, so the unit tests need no browser.

export type Locale = 'zh-CN' | 'en'

export function chooseLocale(saved: string | null, languages: readonly string[]): Locale {
  if (saved === 'en' || saved === 'zh-CN') return saved
  for (const language of languages) {
    const tag = language.toLowerCase()
    if (tag === 'en' || tag.startsWith('en-')) return 'en'
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN'
  }
  return 'zh-CN'
}
