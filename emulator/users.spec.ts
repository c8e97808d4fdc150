import { inflateSync } from 'node:zlib'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { avatarPng } from './avatar'
import { avatarPathFor, newCode, newRid, newToken, openidFor, unionidFor } from './ids'
import type { Emulator } from './server'
import {
  authorizeUrl,
  exchange,
  loadPage,
  obtainCode,
  sns,
  startEmulator,
  validParams,
} from './test-support/index.ts'
import { AVATAR_ORIGIN, TEST_USERS, testUser } from './users'

const emulator: Emulator = await startEmulator()
afterAll(() => emulator.close())

describe('test users', () => {
  it('has one of each kind', () => {
    expect(
      TEST_USERS.map(({ id, headimgurl, unionid, snapshot, followed }) => ({
        id,
        avatar: headimgurl !== '',
        unionid: unionid !== null,
        snapshot,
        followed,
      })),
    ).toEqual([
      { id: 'normal', avatar: true, unionid: true, snapshot: false, followed: true },
      { id: 'emoji', avatar: true, unionid: true, snapshot: false, followed: true },
      { id: 'no-avatar', avatar: false, unionid: true, snapshot: false, followed: true },
      { id: 'no-unionid', avatar: true, unionid: false, snapshot: false, followed: true },
      { id: 'snapshot', avatar: true, unionid: true, snapshot: true, followed: true },
      { id: 'html', avatar: true, unionid: true, snapshot: false, followed: true },
      { id: 'not-following', avatar: true, unionid: true, snapshot: false, followed: false },
    ])
  })

  it('gives the emoji user at least 20 code points, ZWJ sequences and a skin tone', () => {
    const { nickname } = testUser('emoji')

    expect([...nickname].length).toBeGreaterThanOrEqual(20)
    expect(nickname).toContain('\u200d')
    expect(nickname).toMatch(/\u{1F3FB}/u)
  })

  it('gives the html user markup and script', () => {
    expect(testUser('html').nickname).toContain('<script>alert("xss")</script>')
    expect(testUser('html').nickname).toContain('<img src=x onerror=alert(1)>')
  })

  it('gives avatars WeChat-shaped URLs, one path per user', () => {
    const avatars = TEST_USERS.map(({ headimgurl }) => headimgurl).filter(Boolean)

    for (const url of avatars) {
      expect(url).toMatch(
        /^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/vi_32\/Q0j4TwGTfTK[A-Za-z0-9]{64}\/132$/,
      )
    }
    expect(new Set(avatars).size).toBe(avatars.length)
    expect(AVATAR_ORIGIN).toBe('https://thirdwx.qlogo.cn')
  })
})

describe('ids', () => {
  it('derives openids per app and user, and unionids per user', () => {
    expect(openidFor('wx1', 'normal')).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(openidFor('wx1', 'normal')).toBe(openidFor('wx1', 'normal'))
    expect(openidFor('wx1', 'normal')).not.toBe(openidFor('wx2', 'normal'))
    expect(unionidFor('normal')).toMatch(/^o[A-Za-z0-9_-]{27}$/)
    expect(unionidFor('normal')).not.toBe(unionidFor('snapshot'))
    expect(avatarPathFor('normal')).toBe(avatarPathFor('normal'))
  })

  it('makes fresh codes, tokens and rids of the right shape', () => {
    expect(newCode()).toMatch(/^[0-9A-Za-z]{32}$/)
    expect(newCode()).not.toBe(newCode())
    expect(newToken()).toMatch(/^83_[A-Za-z0-9_-]{107}$/)
    expect(newRid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
  })
})

describe('GET /mmopen/…', () => {
  async function avatar(path: string) {
    const response = await fetch(`${emulator.url}${path}`)
    return { response, png: Buffer.from(await response.arrayBuffer()) }
  }

  it("serves every user's avatar as a 132 px PNG in a colour of its own", async () => {
    const corners = new Set<string>()
    for (const user of TEST_USERS.filter(({ headimgurl }) => headimgurl)) {
      const { response, png } = await avatar(new URL(user.headimgurl).pathname)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('image/png')
      expect(png.subarray(0, 8)).toEqual(Buffer.from('89504e470d0a1a0a', 'hex'))
      // IHDR: 132 × 132, 8-bit RGB.
      expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([
        132, 132, 8, 2,
      ])
      corners.add(
        inflateSync(png.subarray(41, png.length - 16))
          .subarray(1, 4)
          .toString('hex'),
      )
    }

    expect(corners.size).toBe(TEST_USERS.filter(({ headimgurl }) => headimgurl).length)
  })

  it('serves any other path too, the same way every time', async () => {
    const first = await avatar('/mmopen/vi_32/anything/0')
    const again = await avatar('/mmopen/vi_32/anything/0')

    expect(first.response.status).toBe(200)
    expect(first.png).toEqual(again.png)
  })
})

describe('POST /__emulator/users/{id}/avatar', () => {
  beforeEach(() => emulator.reset())

  const change = (id: string, method = 'POST') =>
    fetch(`${emulator.url}/__emulator/users/${id}/avatar`, { method })
  const headimgurl = (id: string) => emulator.users().find((user) => user.id === id)?.headimgurl

  it('gives the user a new avatar URL and the old one answers 404', async () => {
    const previous = testUser('normal').headimgurl

    const response = await change('normal')
    const answer = (await response.json()) as { headimgurl: string }
    expect(response.status).toBe(200)
    expect(answer).toEqual({ ok: true, previous, headimgurl: answer.headimgurl })
    expect(answer.headimgurl).toMatch(
      /^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/vi_32\/Q0j4TwGTfTK[A-Za-z0-9]{64}\/132$/,
    )
    expect(answer.headimgurl).not.toBe(previous)
    expect(headimgurl('normal')).toBe(answer.headimgurl)

    const old = await fetch(`${emulator.url}${new URL(previous).pathname}`)
    expect(old.status).toBe(404)
    const current = await fetch(`${emulator.url}${new URL(answer.headimgurl).pathname}`)
    expect(current.status).toBe(200)
    expect(current.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await current.arrayBuffer())).not.toEqual(
      avatarPng(new URL(previous).pathname),
    )
  })

  it('answers the new URL from userinfo', async () => {
    const code = await obtainCode(emulator)
    const token = await exchange(emulator, code)
    const { headimgurl: next } = emulator.changeAvatar('normal')
    const profile = await sns(emulator, '/sns/userinfo', {
      access_token: String(token.body.access_token),
      openid: String(token.body.openid),
    })

    expect(profile.body.headimgurl).toBe(next)
  })

  it('kills every earlier picture at each change', async () => {
    const first = testUser('emoji').headimgurl
    const second = emulator.changeAvatar('emoji').headimgurl
    const third = emulator.changeAvatar('emoji').headimgurl

    const statuses = await Promise.all(
      [first, second, third].map(
        async (url) => (await fetch(`${emulator.url}${new URL(url).pathname}`)).status,
      ),
    )
    expect(statuses).toEqual([404, 404, 200])
  })

  it('gives a user without an avatar one', () => {
    expect(emulator.changeAvatar('no-avatar')).toEqual({
      previous: '',
      headimgurl: expect.stringMatching(/^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/vi_32\//),
    })
  })

  it('shows the new picture on the consent sheet', async () => {
    const { headimgurl: next } = emulator.changeAvatar('normal')
    const page = await loadPage(authorizeUrl(emulator.url, validParams()))

    const img = page.document.querySelector('input[value="normal"] ~ img')
    expect(img?.getAttribute('src')).toBe(new URL(next).pathname)
  })

  it('puts the old avatars back on reset', async () => {
    emulator.changeAvatar('normal')
    await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' })

    expect(headimgurl('normal')).toBe(testUser('normal').headimgurl)
    expect(
      (await fetch(`${emulator.url}${new URL(testUser('normal').headimgurl).pathname}`)).status,
    ).toBe(200)
  })

  it('answers 404 for an unknown user and 405 for GET', async () => {
    const unknown = await change('nobody')
    const get = await change('normal', 'GET')

    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: 'no test user "nobody"' })
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })
})
