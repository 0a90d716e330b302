// The post-build steps: the .br/.gz copies decompress to the file itself, the CSP check finds what
// the server's policy would block, and the precache check finds the desk's files in phones' precache.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script without types
import { problems } from './check-csp.mjs'
// @ts-expect-error: a plain .mjs script without types
import { problems as precacheProblems } from './check-precache.mjs'
// @ts-expect-error: a plain .mjs script without types
import { precompress } from './precompress.mjs'

const SW = 'self.__WB_MANIFEST=[{"revision":"1","url":"index.html"},{"revision":null,"url":"assets/index-abc.js"}]'
const INDEX = '<!doctype html><html><head><script type="module" crossorigin src="/assets/index-abc.js"></script><link rel="manifest" href="/manifest.webmanifest"><script id="vite-plugin-pwa:register-sw" src="/registerSW.js" defer></script></head><body><div id="app"></div></body></html>'

function dist(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dist-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true })
    writeFileSync(join(root, name), text)
  }
  return root
}

describe('precompress', () => {
  it('writes .br and .gz beside every served text file, the staff chunks included, and not beside pictures', () => {
    const code = 'export const a = "城市服务";\n'.repeat(200)
    const root = dist({
      'index.html': INDEX,
      'sw.js': SW,
      'registerSW.js': 'navigator.serviceWorker.register("/sw.js")',
      'manifest.webmanifest': '{"name":"城市服务"}',
      'assets/index-abc.js': code,
      'assets/index-abc.css': 'body{margin:0}',
      'assets/pin-abc.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
      'assets/staff/QueueView-abc.js': code,
      'icon-192.png': 'not really a png',
    })
    const rows: [string, number, number, number][] = precompress(root)
    expect(rows.map((row) => row[0]).sort()).toEqual(
      [
        'assets/index-abc.css',
        'assets/index-abc.js',
        'assets/pin-abc.svg',
        'assets/staff/QueueView-abc.js',
        'index.html',
        'manifest.webmanifest',
        'registerSW.js',
        'sw.js',
      ].sort(),
    )
    for (const [name, raw, gz, br] of rows) {
      const original = readFileSync(join(root, name))
      expect(brotliDecompressSync(readFileSync(join(root, `${name}.br`)))).toEqual(original)
      expect(gunzipSync(readFileSync(join(root, `${name}.gz`)))).toEqual(original)
      expect(raw).toBe(original.length)
      expect([gz, br]).toEqual([readFileSync(join(root, `${name}.gz`)).length, readFileSync(join(root, `${name}.br`)).length])
    }
    const [, raw, gz, br] = rows.find((row) => row[0] === 'assets/index-abc.js')!
    expect(br).toBeLessThan(gz)
    expect(gz).toBeLessThan(raw / 10)
    // Running it twice compresses the files, never the copies.
    expect(precompress(root)).toHaveLength(rows.length)
  })
})

describe('check-csp', () => {
  const clean = { 'index.html': INDEX, 'sw.js': SW, 'assets/index-abc.js': 'const t = setTimeout(() => 1, 5); obj.eval(1)' }

  it('passes a build that needs nothing the policy forbids', () => {
    expect(problems(dist(clean))).toEqual([])
  })

  it.each([
    ['an inline script', { 'index.html': INDEX.replace('</head>', '<script>window.x = 1</script></head>') }, 'inline <script>'],
    ['a script from elsewhere', { 'index.html': INDEX.replace('</head>', '<script src="https://cdn.example/x.js"></script></head>') }, 'from elsewhere'],
    ['an inline handler', { 'index.html': INDEX.replace('<div id="app">', '<div id="app" onclick="go()">') }, 'event handler'],
    ['eval', { 'assets/staff/DashboardView-abc.js': 'var f=eval("1+1")' }, 'eval('],
    ['new Function', { 'assets/index-abc.js': 'const f = new Function("a", "return a")' }, 'new Function('],
    ['a string timer', { 'assets/index-abc.js': 'setTimeout("go()", 5)' }, 'with a string'],
    ['a font from a CDN', { 'assets/index-abc.css': '@font-face{src:url(data:font/woff2;base64,AA)format("woff2"),url(//cdn.example/f.woff)format("woff")}' }, 'another origin'],
    ['a precached .br', { 'sw.js': SW.replace(']', ',{"revision":null,"url":"assets/index-abc.js.br"}]') }, 'compressed copy'],
    ['a precached staff chunk', { 'sw.js': SW.replace(']', ',{"revision":null,"url":"assets/staff/QueueView-abc.js"}]') }, 'staff desk'],
    ['a precached field chunk', { 'sw.js': SW.replace(']', ',{"revision":null,"url":"assets/field/TasksView-abc.js"}]') }, 'field app'],
  ])('finds %s', (_, change, expected) => {
    const found: string[] = problems(dist({ ...clean, ...change }))
    expect(found.length).toBeGreaterThan(0)
    expect(found.join('\n')).toContain(expected)
  })
})

describe('check-precache', () => {
  // A build as Vite's manifest describes it: the citizen entry, a citizen screen and two desk screens
  // sharing Vant's field (citizen too), an admin stylesheet and a chart chunk that only the desk uses.
  const manifest = {
    'index.html': { file: 'assets/index-abc.js', src: 'index.html', isEntry: true, css: ['assets/index-abc.css'], dynamicImports: ['src/views/LoginView.vue', 'src/staff/CaseView.vue', 'src/staff/AdminRoutingView.vue', 'src/field/FieldLayout.vue'] },
    'src/views/LoginView.vue': { file: 'assets/LoginView-abc.js', src: 'src/views/LoginView.vue', isDynamicEntry: true, imports: ['index.html', '_field-abc.js'] },
    '_field-abc.js': { file: 'assets/field-abc.js', css: ['assets/field-abc.css'] },
    'src/staff/CaseView.vue': { file: 'assets/staff/CaseView-abc.js', src: 'src/staff/CaseView.vue', isDynamicEntry: true, imports: ['index.html', '_field-abc.js', '_charts-abc.js'], css: ['assets/staff/desk-abc.css'] },
    'src/staff/AdminRoutingView.vue': { file: 'assets/staff/AdminRoutingView-abc.js', src: 'src/staff/AdminRoutingView.vue', isDynamicEntry: true, imports: ['index.html', '_charts-abc.js'], css: ['assets/admin-abc.css'] },
    '_charts-abc.js': { file: 'assets/charts-abc.js', css: ['assets/admin-abc.css'] },
    // The field app: a screen sharing Vant's field with the citizen app, a sound recorder only it uses.
    'src/field/FieldLayout.vue': { file: 'assets/field/FieldLayout-abc.js', src: 'src/field/FieldLayout.vue', isDynamicEntry: true, imports: ['index.html', '_field-abc.js', '_recorder-abc.js'], css: ['assets/field/field-abc.css'] },
    '_recorder-abc.js': { file: 'assets/field/recorder-abc.js' },
  }
  const citizenFiles = ['index.html', 'assets/index-abc.js', 'assets/index-abc.css', 'assets/LoginView-abc.js', 'assets/field-abc.js', 'assets/field-abc.css']
  const sw = (urls: string[]) => `self.__WB_MANIFEST=${JSON.stringify(urls.map((url) => ({ revision: null, url })))}`
  const build = (urls: string[]) => dist({ 'sw.js': sw(urls), '.vite/manifest.json': JSON.stringify(manifest) })

  it("passes a precache of the citizen app's files, those it shares with the desk included", () => {
    expect(precacheProblems(build(citizenFiles))).toEqual([])
  })

  it.each([
    ['a stylesheet only desk chunks use, outside assets/staff/', 'assets/admin-abc.css'],
    ['a script only desk chunks import, outside assets/staff/', 'assets/charts-abc.js'],
    ["the desk's own stylesheet", 'assets/staff/desk-abc.css'],
    ["a desk screen's script", 'assets/staff/CaseView-abc.js'],
  ])('finds %s', (_, url) => {
    expect(precacheProblems(build([...citizenFiles, url]))).toEqual([`sw.js: the precache lists ${url}, which only the staff desk loads`])
  })

  it('fails a build without the manifest it reads, or whose manifest shows no desk or no field app', () => {
    expect(precacheProblems(dist({ 'sw.js': sw(citizenFiles) }))[0]).toContain('missing')
    const citizenOnly = { 'index.html': manifest['index.html'], 'src/views/LoginView.vue': manifest['src/views/LoginView.vue'] }
    expect(precacheProblems(dist({ 'sw.js': sw(citizenFiles), '.vite/manifest.json': JSON.stringify(citizenOnly) }))).toEqual([
      '.vite/manifest.json: no chunk of src/staff/ found',
      '.vite/manifest.json: no chunk of src/field/ found',
    ])
  })

  it.each([
    ["a field screen's script", 'assets/field/FieldLayout-abc.js'],
    ["the field app's stylesheet", 'assets/field/field-abc.css'],
    ['a script only the field app imports', 'assets/field/recorder-abc.js'],
  ])('finds %s', (_, url) => {
    expect(precacheProblems(build([...citizenFiles, url]))).toEqual([`sw.js: the precache lists ${url}, which only the field app loads`])
  })

  it('finds a file the field app needs where the service worker never caches it', () => {
    const needsDesk = {
      ...manifest,
      'src/field/FieldLayout.vue': { ...manifest['src/field/FieldLayout.vue'], imports: ['index.html', '_charts-abc.js'] },
      '_charts-abc.js': { file: 'assets/staff/charts-abc.js' },
    }
    const root = dist({ 'sw.js': sw(citizenFiles), '.vite/manifest.json': JSON.stringify(needsDesk) })
    expect(precacheProblems(root)).toEqual([
      'assets/staff/charts-abc.js: the field app needs it, and the service worker never caches assets/staff/',
    ])
  })
})
