// After `vite build`: the service worker's precache, which every citizen's phone downloads, lists
// nothing that only the staff desk or only the inspectors' field app loads: no script, stylesheet or
// other file that the citizen app reaches only through the desk's screens (src/staff/) or the field
// app's (src/field/), wherever the build put it. And the field app, which opens offline from what the
// service worker caches at run time under assets/field/ (src/sw.ts) and from the precache, needs no
// file of assets/staff/, which is never cached. Vite's own build manifest (.vite/manifest.json) tells
// which chunk needs which files.
//
//     node scripts/check-precache.mjs [dist]
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MANIFEST = join('.vite', 'manifest.json')
const DESK = 'src/staff/'
const FIELD = 'src/field/'
const FACES = [DESK, FIELD]
const NAMES = { [DESK]: 'the staff desk', [FIELD]: 'the field app' }

/** The URLs in the service worker's precache manifest, as written (relative to dist/). */
export function precached(dist) {
  const sw = readFileSync(join(dist, 'sw.js'), 'utf8')
  return [...sw.matchAll(/["']?url["']?\s*:\s*["']([^"']+)["']/g)].map((match) => match[1])
}

function filesOf(chunk) {
  return [chunk.file, ...(chunk.css ?? []), ...(chunk.assets ?? [])]
}

const sourceOf = (manifest, key) => manifest[key].src ?? key

/** The keys of the chunks reached from `start`, never through a chunk that `skip` says no to, and
 * through the dynamic imports only of the chunks `dynamic` says yes to. */
function reach(manifest, start, skip, dynamic = () => true) {
  const reached = new Set(start)
  for (const key of reached) {
    const next = [...(manifest[key].imports ?? []), ...(dynamic(key) ? manifest[key].dynamicImports ?? [] : [])]
    for (const other of next) if (manifest[other] && !skip(other)) reached.add(other)
  }
  return reached
}

/** The chunks reached from the citizen app's entries without passing through a chunk of src/staff/
 * or src/field/. */
function citizenChunks(manifest) {
  const inFace = (key) => FACES.some((face) => sourceOf(manifest, key).startsWith(face))
  const entries = Object.keys(manifest).filter((key) => manifest[key].isEntry && !inFace(key))
  return reach(manifest, entries, inFace)
}

/** The files the field app loads: its chunks and all they import, and what those of its own load
 * later (not what the citizen app's chunks it shares would load on other screens: the desk's). */
export function fieldFiles(manifest) {
  const citizen = citizenChunks(manifest)
  const start = Object.keys(manifest).filter((key) => sourceOf(manifest, key).startsWith(FIELD))
  const isDesk = (key) => sourceOf(manifest, key).startsWith(DESK)
  const reached = reach(manifest, start, isDesk, (key) => !citizen.has(key))
  return new Set([...reached].flatMap((key) => filesOf(manifest[key])))
}

/** Each file of a build manifest that the citizen app does not load, with the face that does: the
 * field app's when it loads it (whether or not the desk does too), else the desk's. */
export function faceOnly(manifest) {
  const citizen = new Set([...citizenChunks(manifest)].flatMap((key) => filesOf(manifest[key])))
  const field = fieldFiles(manifest)
  const found = new Map()
  for (const file of Object.values(manifest).flatMap(filesOf)) {
    if (!citizen.has(file)) found.set(file, field.has(file) ? FIELD : DESK)
  }
  return found
}

/** The files of a build manifest that only the desk's chunks need. */
export function deskOnly(manifest) {
  return new Set([...faceOnly(manifest)].filter(([, face]) => face === DESK).map(([file]) => file))
}

/** The problems found in a built dist/, as sentences; empty when phones precache no part of the desk
 * or the field app, and the field app needs nothing that is never cached. */
export function problems(dist) {
  if (!existsSync(join(dist, MANIFEST))) return [`${MANIFEST}: missing (vite.config.ts: build.manifest)`]
  const manifest = JSON.parse(readFileSync(join(dist, MANIFEST), 'utf8'))
  const faces = faceOnly(manifest)
  const found = []
  for (const face of FACES) {
    const chunks = Object.keys(manifest).filter((key) => sourceOf(manifest, key).startsWith(face))
    if (!chunks.some((key) => manifest[key].file.endsWith('.js'))) found.push(`${MANIFEST}: no chunk of ${face} found`)
  }
  if (found.length) return found
  for (const url of precached(dist)) {
    const face = faces.get(url)
    if (face) found.push(`sw.js: the precache lists ${url}, which only ${NAMES[face]} loads`)
  }
  for (const file of fieldFiles(manifest)) {
    if (file.startsWith('assets/staff/')) {
      found.push(`${file}: the field app needs it, and the service worker never caches assets/staff/`)
    } else if (faces.get(file) === FIELD && !file.startsWith('assets/field/')) {
      found.push(`${file}: only the field app loads it, outside assets/field/ (which the service worker caches)`)
    }
  }
  return found
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))
  const found = problems(dist)
  for (const line of found) console.error(`Precache check: ${line}`)
  if (found.length) process.exit(1)
  console.log('Precache check: no script or stylesheet of the staff desk or the field app is precached on phones')
}
