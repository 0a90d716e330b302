import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

// A font source on another origin in a stylesheet's @font-face list: Vant's icon font names a copy on a
// CDN after its inline woff2. A phone would ask a third party for it, and the server's
// Content-Security-Policy (font-src 'self' data:) blocks it; the inline woff2 is all a browser needs.
const REMOTE_FONT_SOURCE = /,\s*url\(\s*["']?(?:https?:)?\/\/[^)]*\)\s*format\([^)]*\)/g

function noRemoteFonts(): Plugin {
  return {
    name: 'city:no-remote-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/\.css($|\?)/.test(id)) return null
      const local = code.replace(REMOTE_FONT_SOURCE, '')
      return local === code ? null : { code: local, map: null }
    },
  }
}

// Vant's base stylesheet takes the outline off every link, input, button and Vant element on focus, so a
// keyboard user cannot see where they are; src/styles.css draws a :focus-visible ring instead. A Vant
// that words the rule otherwise fails the build rather than hide focus again.
const NO_OUTLINE = 'a:focus,input:focus,button:focus,textarea:focus,[class*=van-]:focus{outline:none}'
const VANT_BASE = /\/vant\/es\/style\/base\.css(\?|$)/

function visibleFocus(): Plugin {
  return {
    name: 'city:visible-focus',
    enforce: 'pre',
    transform(code, id) {
      if (!VANT_BASE.test(id)) return null
      if (!code.includes(NO_OUTLINE)) this.error(`${id}: Vant's outline rule changed; update NO_OUTLINE`)
      return { code: code.replace(NO_OUTLINE, ''), map: null }
    },
  }
}

const ROOT = fileURLToPath(new URL('.', import.meta.url))
const CATALOGS = resolve(ROOT, '../i18n')
// What the citizen app shows of a catalog (virtual:catalog/<locale>): not the desk's texts, nor the
// server's error messages, which come translated in its answers. The inbox and push notifications are
// every face's, the citizen's included.
const CITIZEN_SECTIONS = ['app', 'ui', 'request_type', 'category_kind', 'inbox', 'push']
const CATALOG_ID = /^virtual:catalog\/(zh-CN|en)$/

function citizenCatalog(): Plugin {
  return {
    name: 'city:citizen-catalog',
    resolveId: (id) => (CATALOG_ID.test(id) ? `\0${id}` : null),
    load(id) {
      const locale = CATALOG_ID.exec(id.replace(/^\0/, ''))?.[1]
      if (!id.startsWith('\0') || !locale) return null
      const file = resolve(CATALOGS, `${locale}.json`)
      this.addWatchFile(file)
      const catalog = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      const part = Object.fromEntries(CITIZEN_SECTIONS.map((section) => [section, catalog[section]]))
      return `export default ${JSON.stringify(part)}`
    },
  }
}
// The whole catalogs are the desk's (src/i18n.ts: loadDeskCatalog): never precached on phones.
const isDeskCatalog = (id: string): boolean => id.startsWith(`${CATALOGS}/`) && id.endsWith('.json')
// The field app's part of a catalog (virtual:field-catalog/<locale>, loaded by src/field/boot.ts).
const FIELD_SECTIONS = ['field']
const FIELD_CATALOG_ID = /^virtual:field-catalog\/(zh-CN|en)$/

function fieldCatalog(): Plugin {
  return {
    name: 'city:field-catalog',
    resolveId: (id) => (FIELD_CATALOG_ID.test(id) ? `\0${id}` : null),
    load(id) {
      const locale = FIELD_CATALOG_ID.exec(id.replace(/^\0/, ''))?.[1]
      if (!id.startsWith('\0') || !locale) return null
      const file = resolve(CATALOGS, `${locale}.json`)
      this.addWatchFile(file)
      const catalog = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      const part = Object.fromEntries(FIELD_SECTIONS.map((section) => [section, catalog[section]]))
      return `export default ${JSON.stringify(part)}`
    },
  }
}

// The badge of a notification (src/sw.ts): Android draws only its alpha, small in the status bar, so a
// white silhouette of the icon's pin. Emitted beside the icons, whose folder (media/icons) is not this app's.
function notificationBadge(): Plugin {
  return {
    name: 'city:notification-badge',
    generateBundle() {
      const source = readFileSync(resolve(ROOT, 'src/assets/badge-96.png'))
      this.emitFile({ type: 'asset', fileName: 'badge-96.png', source })
    },
  }
}

// The two faces a citizen's phone never loads: the staff desk and the inspectors' field app (城管通).
const STAFF_SOURCES = `${resolve(ROOT, 'src/staff')}/`
const FIELD_SOURCES = `${resolve(ROOT, 'src/field')}/`
const FACE_SOURCES = [STAFF_SOURCES, FIELD_SOURCES]
const STYLESHEET = /\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(?:$|\?)/
type Face = 'staff' | 'field'

// Filled once the module graph is complete (buildEnd), read while naming chunks and assets: every
// module that the citizen app never loads, i.e. reachable from no entry except through src/staff/ or
// src/field/ (a face's own code, and whatever only the faces import: Vant components, stylesheets,
// ECharts), with the face it goes with. What the field app reaches is the field's (assets/field/, which
// its service worker caches once loaded), even when the desk loads it too; the rest is the desk's
// (assets/staff/, never cached).
const faces = new Map<string, Face>()
const faceOf = (id: string): Face | null => faces.get(id) ?? null

function appFaces(): Plugin {
  return {
    name: 'city:app-faces',
    buildEnd() {
      faces.clear()
      const ids = [...this.getModuleIds()]
      const inFace = (id: string): boolean => FACE_SOURCES.some((dir) => id.startsWith(dir))
      // Every module reached from `start`, never through one `skip` says no to, and through the
      // dynamic imports only of those `dynamic` says yes to.
      const reach = (start: string[], skip: (id: string) => boolean, dynamic: (id: string) => boolean): Set<string> => {
        const seen = new Set(start)
        for (const id of seen) {
          const info = this.getModuleInfo(id)
          for (const next of [...(info?.importedIds ?? []), ...(dynamic(id) ? (info?.dynamicallyImportedIds ?? []) : [])]) {
            if (!skip(next)) seen.add(next)
          }
        }
        return seen
      }
      const citizen = reach(
        ids.filter((id) => this.getModuleInfo(id)?.isEntry && !inFace(id)),
        inFace,
        () => true,
      )
      // What the field app loads: not what the citizen modules it shares load on other screens.
      const field = reach(
        ids.filter((id) => id.startsWith(FIELD_SOURCES)),
        (id) => id.startsWith(STAFF_SOURCES),
        (id) => !citizen.has(id),
      )
      for (const id of ids) if (!citizen.has(id)) faces.set(id, field.has(id) ? 'field' : 'staff')
    },
  }
}

// The API serves dist/ at "/"; icons come from the project's media/ folder.
export default defineConfig({
  publicDir: fileURLToPath(new URL('../media/icons', import.meta.url)),
  resolve: {
    alias: { '@i18n': fileURLToPath(new URL('../i18n', import.meta.url)) },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' }, fs: { allow: ['..'] } },
  build: {
    target: 'es2020',
    assetsInlineLimit: 2048,
    // ECharts makes the staff dashboard's chunk large; it loads only on that screen.
    chunkSizeWarningLimit: 600,
    // .vite/manifest.json: which chunk needs which files, for scripts/check-precache.mjs.
    manifest: true,
    rolldownOptions: {
      output: {
        // What only the desk loads goes to assets/staff/, what the field app loads (and no citizen
        // screen) to assets/field/: the service worker precaches neither, so a citizen's phone
        // downloads neither the triage desk nor the inspectors' app, their styles neither. Each face's
        // stylesheets (its screens', and Vant's or others' that only it imports) are one file: a
        // stylesheet in a chunk of its own is named after that chunk, not after who imports it.
        codeSplitting: {
          groups: [
            {
              name: (id) => {
                const face = faceOf(id)
                return face && STYLESHEET.test(id) ? (face === 'staff' ? 'staff/desk' : 'field/field') : null
              },
            },
          ],
        },
        assetFileNames: (asset) => {
          if (asset.names.some((name) => /^(staff|field)\//.test(name))) return 'assets/[name]-[hash][extname]'
          const face = asset.originalFileNames.map((name) => faceOf(resolve(ROOT, name))).find(Boolean)
          return face ? `assets/${face}/[name]-[hash][extname]` : 'assets/[name]-[hash][extname]'
        },
        // A chunk with a face's code in it, or with nothing the citizen app imports. (Imports through
        // a package's index, as `from 'vant'`, reach all of it: what looks reachable may still be a
        // face's alone, and scripts/check-precache.mjs then finds it in the precache.)
        chunkFileNames: (chunk) => {
          const ids = chunk.moduleIds
          if (ids.some((id) => id.startsWith(FIELD_SOURCES))) return 'assets/field/[name]-[hash].js'
          if (ids.some((id) => id.startsWith(STAFF_SOURCES))) return 'assets/staff/[name]-[hash].js'
          if (!ids.length || !ids.every((id) => faceOf(id) || isDeskCatalog(id))) return 'assets/[name]-[hash].js'
          return ids.some((id) => faceOf(id) === 'field') ? 'assets/field/[name]-[hash].js' : 'assets/staff/[name]-[hash].js'
        },
      },
    },
  },
  plugins: [
    appFaces(),
    noRemoteFonts(),
    visibleFocus(),
    citizenCatalog(),
    fieldCatalog(),
    notificationBadge(),
    vue(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['apple-touch-icon.png'],
      manifest: {
        name: '城市服务 City Service',
        short_name: '城市服务',
        description: '随手拍：向城市报告问题并跟踪处理进度',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#117864',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      // Our own service worker (src/sw.ts): Workbox routes plus Background Sync of the outbox.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // Never the desk; never the field app (its service worker caches its files once an inspector
        // has loaded them: src/sw.ts); never the .br/.gz copies (scripts/precompress.mjs writes them after this
        // build, and the server sends them in place of the file itself when the browser accepts them).
        globIgnores: ['assets/staff/**', 'assets/field/**', '**/*.br', '**/*.gz'],
      },
    }),
  ],
})
