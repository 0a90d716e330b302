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
    rolldownOptions: {
      output: {
        // Staff screens go to assets/staff/, which the service worker does not precache: a citizen's
        // phone should not download the triage desk (its styles neither).
        assetFileNames: (asset) =>
          asset.originalFileNames.some((name) => name.startsWith('src/staff/'))
            ? 'assets/staff/[name]-[hash][extname]'
            : 'assets/[name]-[hash][extname]',
        chunkFileNames: (chunk) =>
          chunk.moduleIds.some((id) => id.includes('/src/staff/')) ? 'assets/staff/[name]-[hash].js' : 'assets/[name]-[hash].js',
      },
    },
  },
  plugins: [
    noRemoteFonts(),
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
        // Never the desk; never the .br/.gz copies (scripts/precompress.mjs writes them after this
        // build, and the server sends them in place of the file itself when the browser accepts them).
        globIgnores: ['assets/staff/**', '**/*.br', '**/*.gz'],
      },
    }),
  ],
})
