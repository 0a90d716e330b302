// After `vite build`: the service worker's precache, which every citizen's phone downloads, lists
// nothing that only the staff desk loads: no script, stylesheet or other file that the citizen app
// reaches only through the desk's screens (src/staff/), wherever the build put it. Vite's own build
// manifest (.vite/manifest.json) tells which chunk needs which files.
//
//     node scripts/check-precache.mjs [dist]
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MANIFEST = join('.vite', 'manifest.json')
const DESK = 'src/staff/'

/** The URLs in the service worker's precache manifest, as written (relative to dist/). */
export function precached(dist) {
  const sw = readFileSync(join(dist, 'sw.js'), 'utf8')
  return [...sw.matchAll(/["']?url["']?\s*:\s*["']([^"']+)["']/g)].map((match) => match[1])
}

function filesOf(chunk) {
  return [chunk.file, ...(chunk.css ?? []), ...(chunk.assets ?? [])]
}

/** The files of a build manifest that only the desk's chunks need: every file, less those of the
 * chunks reached from the citizen app's entries without passing through a chunk of src/staff/. */
export function deskOnly(manifest) {
  const isDesk = (key) => (manifest[key].src ?? key).startsWith(DESK)
  const reached = new Set(Object.keys(manifest).filter((key) => manifest[key].isEntry && !isDesk(key)))
  for (const key of reached) {
    for (const next of [...(manifest[key].imports ?? []), ...(manifest[key].dynamicImports ?? [])]) {
      if (manifest[next] && !isDesk(next)) reached.add(next)
    }
  }
  const citizen = new Set([...reached].flatMap((key) => filesOf(manifest[key])))
  return new Set(
    Object.values(manifest)
      .flatMap(filesOf)
      .filter((file) => !citizen.has(file)),
  )
}

/** The problems found in a built dist/, as sentences; empty when phones precache no part of the desk. */
export function problems(dist) {
  if (!existsSync(join(dist, MANIFEST))) return [`${MANIFEST}: missing (vite.config.ts: build.manifest)`]
  const desk = deskOnly(JSON.parse(readFileSync(join(dist, MANIFEST), 'utf8')))
  if (![...desk].some((file) => file.endsWith('.js'))) return [`${MANIFEST}: no chunk of ${DESK} found`]
  return precached(dist)
    .filter((url) => desk.has(url))
    .map((url) => `sw.js: the precache lists ${url}, which only the staff desk loads`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))
  const found = problems(dist)
  for (const line of found) console.error(`Precache check: ${line}`)
  if (found.length) process.exit(1)
  console.log('Precache check: no script or stylesheet of the staff desk is precached on phones')
}
