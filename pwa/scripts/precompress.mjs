// After `vite build`: X.br (brotli, quality 11) and X.gz (gzip -9) beside every text file the app
// serves (hashed assets under dist/assets/, the staff chunks included, and index.html, sw.js,
// registerSW.js, manifest.webmanifest), so the server can send them as they are with
// Content-Encoding: br|gzip and Vary: Accept-Encoding. Pictures (png) are compressed already.
//
//     node scripts/precompress.mjs [dist]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const TOP_LEVEL = ['index.html', 'sw.js', 'registerSW.js', 'manifest.webmanifest']
const ASSET = /\.(js|mjs|css|svg|html|json|webmanifest)$/

export function brotli(data) {
  return brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  })
}

export function gzip(data) {
  return gzipSync(data, { level: 9 })
}

/** Every file below a folder, as paths. */
export function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/** The files to precompress in a built dist/: what the server serves as text. */
export function targets(dist) {
  const found = TOP_LEVEL.map((name) => join(dist, name)).filter((path) => {
    try {
      return statSync(path).isFile()
    } catch {
      return false
    }
  })
  let assets = []
  try {
    assets = files(join(dist, 'assets')).filter((path) => ASSET.test(path))
  } catch {
    // no assets/ folder: nothing more to do
  }
  return [...found, ...assets.sort()]
}

/** Write X.br and X.gz beside each target; returns [file, raw, gzip, brotli] byte counts. */
export function precompress(dist) {
  return targets(dist).map((path) => {
    const data = readFileSync(path)
    const br = brotli(data)
    const gz = gzip(data)
    writeFileSync(`${path}.br`, br)
    writeFileSync(`${path}.gz`, gz)
    return [relative(dist, path), data.length, gz.length, br.length]
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))
  const rows = precompress(dist)
  const sum = (i) => rows.reduce((total, row) => total + row[i], 0)
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`
  console.log(
    `precompressed ${rows.length} files: ${kb(sum(1))} raw, ${kb(sum(2))} gzip, ${kb(sum(3))} brotli`,
  )
}
