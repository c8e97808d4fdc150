import { timingSafeEqual } from 'node:crypto'
import type { SessionUser } from '../../contract/index.ts'
import { loadAvatarOrigin, loadSessionSecrets, type SessionSecrets } from './config.ts'
import type { Frame } from './handlers.ts'
import { ApiError } from './http.ts'
import { deriveSigningKey } from './keys.ts'
import type { StoreFactory } from './stores.ts'

/** WeChat's avatar hosts; anything else could be a tracking pixel or mixed content. */
const AVATAR_HOSTS = /^(?:[a-z0-9-]+\.)*(?:qlogo\.cn|qpic\.cn)$/

/** An https URL on a WeChat avatar host, or '' (the SPA shows its placeholder). */
export function safeAvatarUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return ''
  }
  if (url.protocol === 'http:') url.protocol = 'https:'
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return ''
  return AVATAR_HOSTS.test(url.hostname) ? url.href : ''
}

export const AVATAR_PATH = '/api/avatar/'

/** Bytes of HMAC-SHA256 kept in a key: 128 bits, beyond guessing. */
const MAC_BYTES = 16

/** Longer keys are refused unread: WeChat's avatar URLs are under 200 characters. */
const MAX_KEY_LENGTH = 2048

/** The most an avatar may weigh; WeChat's largest (640×640 JPEG) is far below it. */
export const AVATAR_MAX_BYTES = 1024 * 1024

/** Raster types only: an SVG may carry scripts. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

/** A bound on fetching one avatar, so that a stalled host never holds a function. */
export const AVATAR_TIMEOUT_MS = 3000

/** A URL's key names it for a year: its image never changes (a new avatar gets a new URL). */
const IMAGE_HEADERS = {
  'Cache-Control': 'public, max-age=31536000, immutable',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'",
}

async function mac(secret: string, url: string): Promise<Buffer> {
  const key = await deriveSigningKey(secret, 'avatar')
  const signature = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(url))
  return Buffer.from(signature).subarray(0, MAC_BYTES)
}

/**
 * This site's path for a WeChat avatar URL: `/api/avatar/{key}`, the key being the URL itself
 * and its MAC under the current session secret. It needs no storage to resolve, and no one
 * without the secret can make one for another URL.
 */
export async function avatarPath(headimgurl: string, secrets: SessionSecrets): Promise<string> {
  const signature = await mac(secrets.current, headimgurl)
  const key = `${Buffer.from(headimgurl).toString('base64url')}.${signature.toString('base64url')}`
  return `${AVATAR_PATH}${key}`
}

/**
 * The size of a WeChat avatar the site keeps and shows. WeChat's avatar URLs end in a size:
 * /0 (640 px), /46, /64, /96 or /132; 132 px is sharp at the 64 px shown on a 2x phone and a
 * tenth of /0's bytes.
 */
export function avatarAt132(headimgurl: string): string {
  return headimgurl.replace(/\/(?:0|46|64|96|132)$/, '/132')
}

/** The user with `avatar` pointing at this site's copy of `headimgurl`, or without one. */
export async function withAvatar(user: SessionUser, secrets: SessionSecrets): Promise<SessionUser> {
  const { avatar: _stale, ...rest } = user
  if (!user.headimgurl) return rest
  return { ...rest, avatar: await avatarPath(avatarAt132(user.headimgurl), secrets) }
}

/**
 * The WeChat avatar URL a key names, when its MAC is right under the current secret or a
 * previous one and the URL is on WeChat's avatar hosts; null otherwise.
 */
export async function avatarUrlOf(key: string, secrets: SessionSecrets): Promise<string | null> {
  if (key.length > MAX_KEY_LENGTH) return null
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(key)
  if (!match) return null
  const url = Buffer.from(match[1]!, 'base64url').toString()
  const given = Buffer.from(match[2]!, 'base64url')
  if (given.length !== MAC_BYTES) return null
  let signed = false
  for (const secret of [secrets.current, ...secrets.previous]) {
    if (timingSafeEqual(given, await mac(secret, url))) signed = true
  }
  return signed && safeAvatarUrl(url) === url ? url : null
}

/** An avatar that is not copied: why, without its URL (which a log line would tie to a user). */
export class AvatarRefused extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AvatarRefused'
  }
}

export interface AvatarDeps {
  stores: StoreFactory
  fetch?: typeof fetch
  /** WECHAT_AVATAR_ORIGIN: fetch from here, with the URL's path and query, instead. */
  origin?: string
  now?: () => number
}

export interface AvatarImage {
  bytes: Uint8Array<ArrayBuffer>
  contentType: string
}

type AvatarMetadata = {
  contentType: string
  fetchedAt: string
  /** The WeChat URL copied, for the operator; never logged. */
  source: string
}

async function storageKey(url: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url))
  return Buffer.from(digest).toString('hex')
}

/** The body, read no further than `limit` bytes. */
async function readCapped(response: Response, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = []
  let length = 0
  if (response.body) {
    const reader = response.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      length += value.byteLength
      if (length > limit) {
        await reader.cancel()
        throw new AvatarRefused(`the avatar is larger than ${limit} bytes`)
      }
      chunks.push(value)
    }
  }
  return Buffer.concat(chunks, length)
}

/**
 * Fetches a WeChat avatar (from `origin` when given), following no redirect, and keeps it only
 * when it is a raster image of at most 1 MB answered with 200.
 */
export async function fetchAvatar(
  url: string,
  deps: Pick<AvatarDeps, 'fetch' | 'origin'>,
): Promise<AvatarImage> {
  if (safeAvatarUrl(url) !== url) throw new AvatarRefused('the avatar is not on a wechat host')
  const { pathname, search } = new URL(url)
  const target = deps.origin ? new URL(`${pathname}${search}`, deps.origin) : new URL(url)
  const signal = AbortSignal.timeout(AVATAR_TIMEOUT_MS)
  let response: Response
  try {
    response = await (deps.fetch ?? fetch)(target, { redirect: 'manual', signal })
  } catch (cause) {
    throw new AvatarRefused('the avatar host did not answer', { cause })
  }
  try {
    if (response.status !== 200) {
      throw new AvatarRefused(`the avatar host answered ${response.status}`)
    }
    const contentType = (response.headers.get('content-type') ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase()
    if (!IMAGE_TYPES.has(contentType)) {
      throw new AvatarRefused(`the avatar is not a png, jpeg, gif or webp image (${contentType})`)
    }
    const declared = Number(response.headers.get('content-length') ?? 0)
    if (declared > AVATAR_MAX_BYTES) {
      throw new AvatarRefused(`the avatar is larger than ${AVATAR_MAX_BYTES} bytes`)
    }
    const bytes = await readCapped(response, AVATAR_MAX_BYTES)
    if (bytes.byteLength === 0) throw new AvatarRefused('the avatar is empty')
    return { bytes, contentType }
  } catch (error) {
    await response.body?.cancel().catch(() => {})
    if (error instanceof AvatarRefused) throw error
    throw new AvatarRefused('the avatar could not be read', { cause: error })
  }
}

async function store(url: string, image: AvatarImage, deps: AvatarDeps): Promise<void> {
  const metadata: AvatarMetadata = {
    contentType: image.contentType,
    fetchedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    source: url,
  }
  const { bytes } = image
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  await deps.stores('avatars').set(await storageKey(url), data, { metadata })
}

/**
 * Keeps a copy of a WeChat avatar in the `avatars` store, keyed by the SHA-256 of its URL,
 * unless one is kept already. Throws `AvatarRefused` for what is not copied.
 * @see wechat-behaviour.md §4 (headimgurl dies when the user changes avatar)
 */
export async function copyAvatar(url: string, deps: AvatarDeps): Promise<void> {
  if (await deps.stores('avatars').getMetadata(await storageKey(url))) return
  await store(url, await fetchAvatar(url, deps), deps)
}

/** The kept copy of a WeChat avatar, or null. */
export async function readAvatar(url: string, stores: StoreFactory): Promise<AvatarImage | null> {
  const kept = await stores('avatars').getWithMetadata(await storageKey(url), {
    type: 'arrayBuffer',
  })
  const contentType = (kept?.metadata as Partial<AvatarMetadata> | undefined)?.contentType
  if (!kept || !contentType || !IMAGE_TYPES.has(contentType)) return null
  return { bytes: new Uint8Array(kept.data), contentType }
}

function imageResponse({ bytes, contentType }: AvatarImage): Response {
  return new Response(bytes, {
    headers: { ...IMAGE_HEADERS, 'Content-Type': contentType, 'Content-Length': `${bytes.length}` },
  })
}

/** Starts copying the user's avatar, after the answer: a sign-in or 刷新资料 is not slowed. */
export function keepAvatarCopy(user: SessionUser, origin: string | undefined, frame: Frame): void {
  if (!user.headimgurl) return
  frame.bookkeep('avatar copy', () =>
    copyAvatar(avatarAt132(user.headimgurl), {
      stores: frame.stores,
      fetch: frame.env.fetch,
      origin,
      now: () => frame.nowMs,
    }),
  )
}

/**
 * `GET /api/avatar/{key}`: the kept copy, or else the image fetched now (and kept after the
 * answer), so the browser never loads WeChat's hosts. No session is needed: the key is the
 * capability. A key that is not ours, or an image that cannot be had, answers 404 `not_found`
 * and the SPA shows its placeholder.
 */
export async function serveAvatar(frame: Frame): Promise<Response> {
  const url = await avatarUrlOf(
    frame.url.pathname.slice(AVATAR_PATH.length),
    loadSessionSecrets(frame.env.env),
  )
  if (!url) throw new ApiError('not_found', 'no such avatar')
  const kept = await readAvatar(url, frame.stores)
  if (kept) return imageResponse(kept)
  const deps = {
    stores: frame.stores,
    fetch: frame.env.fetch,
    origin: loadAvatarOrigin(frame.env.env),
    now: () => frame.nowMs,
  }
  let image: AvatarImage
  try {
    image = await fetchAvatar(url, deps)
  } catch (cause) {
    throw new ApiError('not_found', 'no such avatar', { cause })
  }
  frame.bookkeep('avatar copy', () => store(url, image, deps))
  return imageResponse(image)
}
