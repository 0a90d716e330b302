import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

// The API serves dist/ at "/"; icons come from the project's media/ folder.
export default defineConfig({
  publicDir: fileURLToPath(new URL('../media/icons', import.meta.url)),
  resolve: {
    alias: { '@i18n': fileURLToPath(new URL('../i18n', import.meta.url)) },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' }, fs: { allow: ['..'] } },
  build: { target: 'es2020', assetsInlineLimit: 2048 },
  plugins: [
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
      workbox: {
        // The app shell opens offline; client routes fall back to it, the API never does.
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/schema/, /^\/healthz/],
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        runtimeCaching: [
          {
            // Last-seen lists and categories open offline; fresh data wins whenever the network answers.
            urlPattern: ({ url }) => url.pathname.startsWith('/api/v1/') && !url.pathname.startsWith('/api/v1/photos/'),
            handler: 'NetworkFirst',
            method: 'GET',
            options: { cacheName: 'api', networkTimeoutSeconds: 4, expiration: { maxEntries: 100 } },
          },
          {
            urlPattern: ({ url }) => url.pathname.startsWith('/api/v1/photos/'),
            handler: 'CacheFirst',
            options: { cacheName: 'photos', expiration: { maxEntries: 200, maxAgeSeconds: 30 * 24 * 3600 } },
          },
        ],
      },
    }),
  ],
})
