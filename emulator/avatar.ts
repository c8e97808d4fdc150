import { createHash } from 'node:crypto'
import { crc32, deflateSync } from 'node:zlib'
import { avatarPathFor } from './ids'
import { TEST_USERS, type TestUserId } from './users'

/** One hue per test user, far enough apart to tell the avatars apart at a glance. */
const USER_HUES: Record<TestUserId, number> = {
  normal: 210,
  emoji: 330,
  'no-avatar': 0,
  'no-unionid': 30,
  snapshot: 270,
  html: 120,
  'not-following': 60,
}

function hueFor(path: string): number {
  const owner = TEST_USERS.find((user) => path.includes(avatarPathFor(user.id)))
  if (owner) return USER_HUES[owner.id]
  return createHash('sha256').update(path).digest().readUInt16BE(0) % 360
}

/** HSL (s 60%, l 55%) to 8-bit RGB. */
function rgbOf(hue: number): [number, number, number] {
  const s = 0.6
  const l = 0.55
  const k = (n: number) => (n + hue / 30) % 12
  const a = s * Math.min(l, 1 - l)
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255)) as [number, number, number]
}

const SIZE = 132

/** Whether a pixel is in the silhouette: a head and shoulders, as WeChat's default avatar. */
function inSilhouette(x: number, y: number): boolean {
  const head = (x - 66) ** 2 + (y - 52) ** 2 <= 24 ** 2
  const shoulders = y >= 86 && ((x - 66) / 44) ** 2 + ((y - 132) / 46) ** 2 <= 1
  return head || shoulders
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/**
 * A generated avatar for any `/mmopen/…` path, as a 132 px PNG like WeChat's (a site that
 * keeps copies takes raster images only): a white silhouette on a colour fixed per test user
 * (derived from the path otherwise), so browser tests can still see whose avatar is shown.
 */
export function avatarPng(path: string): Buffer {
  const [r, g, b] = rgbOf(hueFor(path))
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 3))
  for (let y = 0; y < SIZE; y++) {
    const row = y * (1 + SIZE * 3)
    // Filter type 0 (none) for every row.
    rows[row] = 0
    for (let x = 0; x < SIZE; x++) {
      const at = row + 1 + x * 3
      const white = inSilhouette(x, y)
      rows[at] = white ? 255 : r
      rows[at + 1] = white ? 255 : g
      rows[at + 2] = white ? 255 : b
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(SIZE, 0)
  header.writeUInt32BE(SIZE, 4)
  // 8-bit depth, colour type 2 (RGB), deflate, no filter method, no interlace.
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
