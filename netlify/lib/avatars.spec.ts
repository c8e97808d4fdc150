import { createHash } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Emulator } from '../../emulator/server.ts'
import { obtainCode, startEmulator } from '../../emulator/test-support/index.ts'
import { testUser } from '../../emulator/users.ts'
import { emulatorEnv } from '../../scripts/emulator-env.ts'
import {
  PNG,
  startAvatarHost,
  type AvatarAnswer,
  type AvatarHost,
} from '../test-support/avatar-host.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { loginRequest } from '../test-support/login.ts'
import {
  AVATAR_MAX_BYTES,
  AvatarRefused,
  avatarPath,
  avatarUrlOf,
  copyAvatar,
  readAvatar,
  withAvatar,
} from './avatars.ts'
import type { SessionUser } from '../../contract/index.ts'
import type { SessionSecrets } from './config.ts'
import {
  handleAvatar,
  handleSession,
  handleSessionRefresh,
  handleWechatLogin,
  type HandlerEnv,
} from './handlers.ts'
import { newSessionId, sealSession } from './session.ts'

/** Avatars through the real handlers, emulator, Blobs server and a local avatar host. */
let emulator: Emulator
let host: AvatarHost
let blobs: Awaited<ReturnType<typeof startBlobs>>
let settings: Record<string, string | undefined>
let env: HandlerEnv

const SECRET = 'avatar-test-secret-0123456789abcdef'
const OLD_SECRET = 'avatar-old-secret-0123456789abcdefgh'
const secrets: SessionSecrets = { current: SECRET, previous: [] }
const NOT_FOUND = { error: { code: 'not_found', message: 'no such avatar' } }
const IMAGE_HEADERS = {
  'cache-control': 'public, max-age=31536000, immutable',
  'content-security-policy': "default-src 'none'",
  'content-type': 'image/png',
  'x-content-type-options': 'nosniff',
}

/** A WeChat avatar URL no test has used yet, and its path on the avatar host. */
let serial = 0
function freshUrl(query = '') {
  const path = `/mmopen/vi_32/test${Date.now()}x${serial++}/132${query}`
  return { url: `https://thirdwx.qlogo.cn${path}`, path }
}

const keyOf = (url: string) => createHash('sha256').update(url).digest('hex')
const kept = (url: string) => blobs.stores('avatars').getMetadata(keyOf(url))
const deps = () => ({ stores: blobs.stores, origin: host.url })

const getAvatar = (path: string) =>
  handleAvatar(new Request(`https://app.example${path}`), { ...env, requestId: 'req-avatar' })

function headersOf(response: Response): Record<string, string> {
  const headers = Object.fromEntries(response.headers)
  delete headers['content-length']
  return headers
}

async function signIn(
  user: 'normal' | 'emoji' | 'no-avatar' = 'normal',
  extra: Partial<HandlerEnv> = {},
) {
  const response = await handleWechatLogin(loginRequest(await obtainCode(emulator, { user })), {
    ...env,
    ...extra,
  })
  expect(response.status).toBe(200)
  const { user: profile } = (await response.json()) as {
    user: { openid: string; headimgurl: string; avatar?: string }
  }
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  return { profile, cookie }
}

beforeAll(async () => {
  ;[emulator, blobs, host] = await Promise.all([
    startEmulator({ now: Date.now }),
    startBlobs(),
    startAvatarHost(),
  ])
})
afterAll(async () => {
  await Promise.all([emulator.close(), blobs.close(), host.close()])
})
beforeEach(() => {
  emulator.reset()
  host.reset()
  settings = {
    ...emulatorEnv(emulator.url),
    SESSION_SECRET: SECRET,
    WECHAT_AVATAR_ORIGIN: host.url,
  }
  env = { env: (name) => settings[name], stores: blobs.stores, requestId: 'req-test' }
})

describe('avatar keys', () => {
  const url = 'https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132'

  it('name the WeChat URL, signed, with no storage to resolve them', async () => {
    const path = await avatarPath(url, secrets)
    expect(path).toMatch(/^\/api\/avatar\/[\w-]+\.[\w-]{22}$/)
    expect(await avatarPath(url, secrets)).toBe(path)
    expect(await avatarUrlOf(path.slice('/api/avatar/'.length), secrets)).toBe(url)
  })

  it('name the 132 px picture, whatever size WeChat gave', async () => {
    const user = { openid: 'o1', headimgurl: url.replace(/132$/, '0') } as SessionUser
    const { avatar } = await withAvatar(user, secrets)
    expect(avatar).toBe(await avatarPath(url, secrets))
    const { avatar: none } = await withAvatar({ ...user, headimgurl: '' }, secrets)
    expect(none).toBeUndefined()
  })

  it('open under a previous secret, and not once it is gone', async () => {
    const key = (await avatarPath(url, { current: OLD_SECRET, previous: [] })).slice(12)
    expect(await avatarUrlOf(key, { current: SECRET, previous: [OLD_SECRET] })).toBe(url)
    expect(await avatarUrlOf(key, secrets)).toBeNull()
  })

  it('cannot be forged for another URL, tampered with, or made for a host not WeChat', async () => {
    const key = (await avatarPath(url, secrets)).slice(12)
    const [name, mac] = key.split('.') as [string, string]
    const other = Buffer.from(`${url}0`).toString('base64url')
    const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`
    const evil = (await avatarPath('https://evil.example/a.png', secrets)).slice(12)
    for (const forged of [
      `${other}.${mac}`,
      `${name}.${flipped}`,
      `${name}.${mac.slice(0, 21)}`,
      `${name}.${mac}A`,
      name,
      `${name}.${mac}.x`,
      `${name}%2E${mac}`,
      '',
      evil,
      `${'A'.repeat(3000)}.${mac}`,
    ]) {
      expect([forged, await avatarUrlOf(forged, secrets)]).toEqual([forged, null])
    }
  })
})

describe('GET /api/avatar/{key}', () => {
  it('serves the copy made at sign-in, with its own type, cached for a year', async () => {
    await blobs.stores('avatars').delete(keyOf(testUser('normal').headimgurl))
    const { profile } = await signIn('normal')
    const avatarPathOnHost = new URL(testUser('normal').headimgurl).pathname
    expect(profile.avatar).toBe(await avatarPath(testUser('normal').headimgurl, secrets))
    expect(host.requests).toEqual([`GET ${avatarPathOnHost}`])
    expect(await kept(profile.headimgurl)).toMatchObject({
      metadata: {
        contentType: 'image/png',
        fetchedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        source: profile.headimgurl,
      },
    })
    const response = await getAvatar(profile.avatar!)
    expect(response.status).toBe(200)
    expect(headersOf(response)).toEqual(IMAGE_HEADERS)
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG)
    // From the copy: the avatar host is not asked again, and no later sign-in copies it again.
    await signIn('normal')
    expect(host.requests).toHaveLength(1)
  })

  it('still serves the copy once the WeChat URL has died', async () => {
    const { profile } = await signIn('emoji')
    host.retire(new URL(profile.headimgurl).pathname)
    const response = await getAvatar(profile.avatar!)
    expect(response.status).toBe(200)
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG)
  })

  it('fetches, serves and keeps an image that has no copy yet', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(64, 7)])
    const { url, path } = freshUrl('?wx_fmt=jpeg')
    host.answer(path, { headers: { 'Content-Type': 'image/jpeg; charset=binary' }, body: jpeg })
    const response = await getAvatar(await avatarPath(url, secrets))
    expect(response.status).toBe(200)
    expect(headersOf(response)).toEqual({ ...IMAGE_HEADERS, 'content-type': 'image/jpeg' })
    expect(Buffer.from(await response.arrayBuffer())).toEqual(jpeg)
    expect((await kept(url))?.metadata.contentType).toBe('image/jpeg')
    host.retire(path)
    expect((await getAvatar(await avatarPath(url, secrets))).status).toBe(200)
    expect(host.requests).toEqual([`GET ${path}`])
  })

  it('answers 404 not_found, fetching nothing, for a forged key or another path', async () => {
    const { url } = freshUrl()
    const good = (await avatarPath(url, secrets)).slice(12)
    const forged = await avatarPath(url, { current: OLD_SECRET, previous: [] })
    const evil = await avatarPath('https://evil.example/a.png', secrets)
    for (const path of [
      forged,
      evil,
      `/api/avatar/${good}/x`,
      `/api/avatar/${good.slice(0, -1)}`,
      '/api/avatar/',
    ]) {
      const response = await getAvatar(path)
      expect([path, response.status, await response.json()]).toEqual([path, 404, NOT_FOUND])
    }
    expect(host.requests).toEqual([])
  })

  it('answers 404 not_found, keeping nothing, when the image cannot be had', async () => {
    const { url, path } = freshUrl()
    host.retire(path)
    const response = await getAvatar(await avatarPath(url, secrets))
    expect([response.status, response.headers.get('cache-control')]).toEqual([404, 'no-store'])
    expect(await response.json()).toEqual(NOT_FOUND)
    expect(await kept(url)).toBeNull()
  })

  it('answers only GET', async () => {
    const { profile } = await signIn('normal')
    const response = await handleAvatar(
      new Request(`https://app.example${profile.avatar}`, { method: 'POST' }),
      env,
    )
    expect(response.status).toBe(405)
  })
})

describe('the copy', () => {
  it('is made after the sign-in answers, never slowing it', async () => {
    const deferred: Promise<boolean>[] = []
    const path = new URL(testUser('normal').headimgurl).pathname
    await blobs.stores('avatars').delete(keyOf(testUser('normal').headimgurl))
    host.answer(path, { headers: { 'Content-Type': 'image/png' }, body: PNG, delayMs: 1500 })
    const started = Date.now()
    const { profile } = await signIn('normal', { waitUntil: (work) => deferred.push(work) })
    expect(Date.now() - started).toBeLessThan(1500)
    expect(await kept(profile.headimgurl)).toBeNull()
    expect(await Promise.all(deferred)).toEqual([true])
    expect(await kept(profile.headimgurl)).not.toBeNull()
  })

  it('is made at 刷新资料 when the sign-in could not make it', async () => {
    const path = new URL(testUser('emoji').headimgurl).pathname
    await blobs.stores('avatars').delete(keyOf(testUser('emoji').headimgurl))
    host.answer(path, { status: 503 })
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { profile, cookie } = await signIn('emoji')
    expect(await kept(profile.headimgurl)).toBeNull()
    // The log says why, never which avatar: its URL would tie the line to a person.
    expect(log.mock.calls.map((call) => call.map(String).join(' '))).toEqual([
      '[req-test] avatar copy failed: AvatarRefused: the avatar host answered 503',
    ])
    log.mockRestore()
    host.reset()
    const response = await handleSessionRefresh(
      new Request('https://app.example/api/session/refresh', {
        method: 'POST',
        headers: { cookie },
      }),
      env,
    )
    expect(response.status).toBe(200)
    const { user } = (await response.json()) as { user: { avatar: string } }
    expect(user.avatar).toBe(profile.avatar)
    expect(await kept(profile.headimgurl)).not.toBeNull()
  })

  it('is not made for a user without an avatar, who has no avatar path', async () => {
    const { profile } = await signIn('no-avatar')
    expect(profile).not.toHaveProperty('avatar')
    expect(host.requests).toEqual([])
  })

  it.each<[string, AvatarAnswer]>([
    ['an html page', { headers: { 'Content-Type': 'text/html' }, body: '<p>hi</p>' }],
    ['an svg, which may carry scripts', { headers: { 'Content-Type': 'image/svg+xml' } }],
    ['no content type', { headers: {}, body: PNG }],
    ['an image over 1 MB', { headers: { 'Content-Type': 'image/png' }, body: 'x' }],
    [
      'an image over 1 MB with no length said',
      { headers: { 'Content-Type': 'image/png', 'Transfer-Encoding': 'chunked' } },
    ],
    ['an empty image', { headers: { 'Content-Type': 'image/png' }, body: '' }],
    ['a redirect', { status: 302, headers: { Location: 'https://evil.example/a.png' } }],
    ['a 404', { status: 404, headers: { 'Content-Type': 'image/png' }, body: PNG }],
  ])('refuses %s, keeping nothing', async (what, answer) => {
    const { url, path } = freshUrl()
    const oversized = what.startsWith('an image over')
    host.answer(path, {
      ...answer,
      body: oversized ? Buffer.alloc(AVATAR_MAX_BYTES + 1) : (answer.body ?? ''),
    })
    await expect(copyAvatar(url, deps())).rejects.toBeInstanceOf(AvatarRefused)
    expect(await kept(url)).toBeNull()
    expect([(await getAvatar(await avatarPath(url, secrets))).status, await kept(url)]).toEqual([
      404,
      null,
    ])
  })

  it('keeps an image of exactly 1 MB', async () => {
    const { url, path } = freshUrl()
    const body = Buffer.alloc(AVATAR_MAX_BYTES, 1)
    host.answer(path, { headers: { 'Content-Type': 'image/webp' }, body })
    await copyAvatar(url, deps())
    expect((await readAvatar(url, blobs.stores))?.bytes.byteLength).toBe(AVATAR_MAX_BYTES)
  })

  it('refuses a host that is not WeChat, asking nothing', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>()
    for (const url of [
      'https://evil.example/mmopen/a/132',
      'http://thirdwx.qlogo.cn/mmopen/a/132',
      'https://thirdwx.qlogo.cn.evil.example/a',
      'https://thirdwx.qlogo.cn:8443/a',
    ]) {
      await expect(copyAvatar(url, { ...deps(), fetch })).rejects.toThrow(
        'the avatar is not on a wechat host',
      )
      expect(await kept(url)).toBeNull()
    }
    expect(fetch).not.toHaveBeenCalled()
  })

  it('is fetched from WECHAT_AVATAR_ORIGIN with the same path and query, or from WeChat', async () => {
    const { url, path } = freshUrl('?tp=webp&wxfrom=5')
    const asked: string[] = []
    const fetch: typeof globalThis.fetch = async (input, init) => {
      asked.push(`${String(input)} redirect=${init?.redirect}`)
      return new Response(PNG, { headers: { 'Content-Type': 'image/png' } })
    }
    await copyAvatar(url, { ...deps(), fetch })
    await blobs.stores('avatars').delete(keyOf(url))
    await copyAvatar(url, { stores: blobs.stores, fetch })
    expect(asked).toEqual([`${host.url}${path} redirect=manual`, `${url} redirect=manual`])
  })
})

describe('GET /api/session', () => {
  it('gives a session from before avatars were kept its avatar path', async () => {
    const { profile } = await signIn('normal')
    const { avatar: _none, ...before } = profile as SessionUser
    const sealed = await sealSession(
      { user: before, sid: newSessionId(), authTime: Math.floor(Date.now() / 1000) },
      secrets,
      Math.floor(Date.now() / 1000),
    )
    const response = await handleSession(
      new Request('https://app.example/api/session', {
        headers: { cookie: `__Host-wx_session=${sealed}` },
      }),
      env,
    )
    const { user } = (await response.json()) as { user: { avatar?: string } }
    expect(user.avatar).toBe(profile.avatar)
  })
})
