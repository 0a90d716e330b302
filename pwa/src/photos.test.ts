import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_ORIGINAL_BYTES, downscale, fieldUploadFile, fitWithin, keepsOriginal } from './photos'

describe('fitWithin', () => {
  it('brings the long side down to the limit, keeping the shape', () => {
    expect(fitWithin(4000, 3000, 1600)).toEqual({ width: 1600, height: 1200 })
    expect(fitWithin(3000, 4000, 1600)).toEqual({ width: 1200, height: 1600 })
    expect(fitWithin(4032, 1816, 1600)).toEqual({ width: 1600, height: 721 })
  })

  it('never enlarges', () => {
    expect(fitWithin(800, 600, 1600)).toEqual({ width: 800, height: 600 })
    expect(fitWithin(1, 5000, 1600)).toEqual({ width: 1, height: 1600 })
  })
})

// Node has no canvas: these stand-ins record what downscale asks of the browser. The real pixels are
// checked end to end in Chromium (tests/e2e/test_report.py).
function fakeBrowser(bitmap: { width: number; height: number } | Error) {
  const drawn: number[][] = []
  const encoded: { type?: string; quality?: number }[] = []
  const canvas = {
    width: 0,
    height: 0,
    getContext: () => ({ drawImage: (_: unknown, ...box: number[]) => drawn.push(box) }),
    toBlob: (done: (blob: Blob) => void, type?: string, quality?: number) => {
      encoded.push({ type, quality })
      done(new Blob(['jpeg'], { type: 'image/jpeg' }))
    },
  }
  const orientation: unknown[] = []
  vi.stubGlobal('createImageBitmap', async (_file: Blob, options: unknown) => {
    orientation.push(options)
    if (bitmap instanceof Error) throw bitmap
    return { ...bitmap, close: () => undefined }
  })
  vi.stubGlobal('document', { createElement: () => canvas })
  return { canvas, drawn, encoded, orientation }
}

afterEach(() => vi.unstubAllGlobals())

describe('downscale', () => {
  it('draws a large photo at most 1600 px long, upright, as JPEG', async () => {
    const browser = fakeBrowser({ width: 4000, height: 3000 })
    const result = await downscale(new Blob(['x'], { type: 'image/jpeg' }))
    expect(browser.orientation).toEqual([{ imageOrientation: 'from-image' }])
    expect([browser.canvas.width, browser.canvas.height]).toEqual([1600, 1200])
    expect(browser.drawn).toEqual([[0, 0, 1600, 1200]])
    expect(browser.encoded).toEqual([{ type: 'image/jpeg', quality: 0.85 }])
    expect(result.type).toBe('image/jpeg')
  })

  it('hands over a photo the browser cannot decode (HEIC) unchanged, for the server to convert', async () => {
    const browser = fakeBrowser(new Error('unsupported'))
    const heic = new Blob(['heic'], { type: 'image/heic' })
    expect(await downscale(heic)).toBe(heic)
    expect(browser.drawn).toEqual([])
  })
})

// The field app sends the camera's file, EXIF and all, for the server to check where and when it was
// taken; only a file too large for a bad connection is downscaled (its EXIF lost).
describe('fieldUploadFile', () => {
  const photo = (type: string, bytes: number) => new Blob([new Uint8Array(bytes)], { type })

  it('keeps a JPEG, HEIC, PNG or WebP of at most 8 MB as it is', async () => {
    const browser = fakeBrowser({ width: 4000, height: 3000 })
    for (const type of ['image/jpeg', 'image/heic', 'image/heif', 'image/png', 'image/webp']) {
      const original = photo(type, 3 * 1024 * 1024)
      expect(keepsOriginal(original)).toBe(true)
      expect(await fieldUploadFile(original)).toBe(original)
    }
    const limit = photo('image/jpeg', MAX_ORIGINAL_BYTES)
    expect(await fieldUploadFile(limit)).toBe(limit)
    expect(browser.encoded).toEqual([])
  })

  it('downscales a larger photo, or one of another type', async () => {
    const browser = fakeBrowser({ width: 8000, height: 6000 })
    const large = photo('image/jpeg', MAX_ORIGINAL_BYTES + 1)
    expect(keepsOriginal(large)).toBe(false)
    const sent = await fieldUploadFile(large)
    expect(sent).not.toBe(large)
    expect(sent.type).toBe('image/jpeg')
    expect([browser.canvas.width, browser.canvas.height]).toEqual([1600, 1200])
    expect(keepsOriginal(photo('image/gif', 1000))).toBe(false)
    expect(keepsOriginal(photo('', 1000))).toBe(false)
  })
})
