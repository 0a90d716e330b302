// The citizen app's part of a catalog (vite.config.ts: citizenCatalog).
declare module 'virtual:catalog/*' {
  import type { LocaleMessage } from '@intlify/core-base'
  import type { VueMessageType } from 'vue-i18n'
  const messages: LocaleMessage<VueMessageType>
  export default messages
}
// The field app's part of a catalog (vite.config.ts: fieldCatalog).
declare module 'virtual:field-catalog/*' {
  import type { LocaleMessage } from '@intlify/core-base'
  import type { VueMessageType } from 'vue-i18n'
  const messages: LocaleMessage<VueMessageType>
  export default messages
}
