// The category catalog as the desk's selects show it.
import type { Catalog, Category } from '../types'
import { staffCall } from './session'

type Translate = (key: string, values?: Record<string, unknown>) => string

export interface CategoryOption {
  code: string
  label: string
}

/** The catalog in the UI's language (a public answer: no session needed). */
export function loadCatalog(): Promise<Catalog | null> {
  return staffCall<Catalog>('GET', '/api/v1/categories', undefined, false).catch(() => null)
}

/** A major class named with its kind: a 部件 class and an 事件 class may share a name (市容环境). */
export function majorLabel(t: Translate, major: Category): string {
  return t('staff.with_kind', { name: major.name, kind: t(`category_kind.${major.kind}`) })
}

/** Each major class followed by its minor categories, for a select where either may be chosen. */
export function categoryOptions(t: Translate, catalog: Catalog | null): CategoryOption[] {
  return (catalog?.categories ?? []).flatMap((major) => {
    const label = majorLabel(t, major)
    return [{ code: major.code, label }, ...(major.minors ?? []).map((minor) => ({ code: minor.code, label: `${label} / ${minor.name}` }))]
  })
}

/** The minor categories only (a case's category is always a minor one). */
export function minorOptions(t: Translate, catalog: Catalog | null): CategoryOption[] {
  return (catalog?.categories ?? []).flatMap((major) =>
    (major.minors ?? []).map((minor) => ({ code: minor.code, label: `${majorLabel(t, major)} / ${minor.name}` })),
  )
}

/** A category's name from its code, or the code itself when the catalog does not know it. */
export function categoryName(catalog: Catalog | null, code: string): string {
  for (const major of catalog?.categories ?? []) {
    if (major.code === code) return major.name
    const minor = major.minors?.find((m) => m.code === code)
    if (minor) return minor.name
  }
  return code
}
