// What the router awaits before any field screen: the field app's texts (its own catalog section,
// a chunk of this face: vite.config.ts fieldCatalog) in the language shown, and whether an inspector
// is signed in.
import { loadCatalogPart } from '../i18n'

export { signedIn } from './session'

let loading: Promise<void> | null = null

export function ready(): Promise<void> {
  loading ??= loadCatalogPart('field', {
    'zh-CN': () => import('virtual:field-catalog/zh-CN'),
    en: () => import('virtual:field-catalog/en'),
  }).catch(() => {
    loading = null // offline before the catalog was ever cached: try again on the next screen
  })
  return loading
}
