// After `vite build`: the built app must run under the server's Content-Security-Policy
// (script-src 'self', no 'unsafe-inline', no 'unsafe-eval'): no inline <script>, no inline event
// handler, no script, stylesheet or font from another origin, no eval or new Function in any chunk (the
// staff desk's included: ECharts, vue-i18n), and a precache that lists no .br/.gz copy.
//
//     node scripts/check-csp.mjs [dist]
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { precached } from './check-precache.mjs'
import { files } from './precompress.mjs'

const EVAL = [
  [/(^|[^\w$.])eval\s*\(/, 'eval('],
  [/\bnew\s+Function\s*\(/, 'new Function('],
  [/(^|[^\w$.])Function\s*\(\s*["'`]/, 'Function("…")'],
  [/\bset(Timeout|Interval)\s*\(\s*["'`]/, 'setTimeout/setInterval with a string'],
]


/** The problems found in a built dist/, as sentences; empty when the app is ready for the policy. */
export function problems(dist) {
  const found = []
  const built = files(dist)
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  for (const [tag, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc\s*=/.test(attributes)) found.push(`index.html: an inline <script>: ${tag.slice(0, 80)}`)
    else if (body.trim()) found.push(`index.html: a <script src> with a body: ${tag.slice(0, 80)}`)
    const src = /\bsrc\s*=\s*["']([^"']+)["']/.exec(attributes)?.[1]
    if (src && !src.startsWith('/')) found.push(`index.html: a script from elsewhere: ${src}`)
  }
  for (const [, href] of html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)) {
    if (!href.startsWith('/')) found.push(`index.html: a link to elsewhere: ${href}`)
  }
  if (/\son[a-z]+\s*=/i.test(html.replace(/<script[\s\S]*?<\/script>/gi, ''))) {
    found.push('index.html: an inline event handler (on…=)')
  }
  for (const path of built) {
    if (!/\.(js|mjs)$/.test(path)) continue
    const code = readFileSync(path, 'utf8')
    for (const [pattern, what] of EVAL) {
      const match = pattern.exec(code)
      if (match) {
        const at = Math.max(0, match.index - 40)
        found.push(`${relative(dist, path)}: ${what} in …${code.slice(at, match.index + 60)}…`)
      }
    }
  }
  for (const path of built) {
    if (!/\.css$/.test(path)) continue
    const css = readFileSync(path, 'utf8')
    for (const [, url] of css.matchAll(/url\(\s*["']?((?:https?:)?\/\/[^"')]+)/g)) {
      found.push(`${relative(dist, path)}: a stylesheet loads ${url} from another origin`)
    }
  }
  const listed = precached(dist)
  if (!listed.includes('index.html')) found.push('sw.js: no precache manifest found (index.html not listed)')
  for (const url of listed) {
    if (/\.(br|gz)$/.test(url)) found.push(`sw.js: the precache lists a compressed copy: ${url}`)
    if (url.startsWith('assets/staff/')) found.push(`sw.js: the precache lists the staff desk's ${url}`)
    if (url.startsWith('assets/field/')) found.push(`sw.js: the precache lists the field app's ${url}`)
  }
  return found
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))
  const found = problems(dist)
  for (const line of found) console.error(`CSP check: ${line}`)
  if (found.length) process.exit(1)
  console.log('CSP check: no inline script, no eval, no script from elsewhere; precache without .br/.gz')
}
