import { afterAll, describe, expect, it } from 'vitest'
import { avatarPathFor, newCode, newRid, newToken, openidFor, unionidFor } from './ids'
import type { Emulator } from './server'
import { startEmulator } from './test-support/index.ts'
import { AVATAR_ORIGIN, TEST_USERS, testUser } from './users'

const emulator: Emulator = await startEmulator()
afterAll(() => emulator.close())

describe('test users', () => {
  it('has one of each kind', () => {
    expect(
      TEST_USERS.map(({ id, headimgurl, unionid, snapshot }) => ({
        id,
        avatar: headimgurl !== '',
        unionid: unionid !== null,
        snapshot,
      })),
    ).toEqual([
      { id: 'normal', avatar: true, unionid: true, snapshot: false },
      { id: 'emoji', avatar: true, unionid: true, snapshot: false },
      { id: 'no-avatar', avatar: false, unionid: true, snapshot: false },
      { id: 'no-unionid', avatar: true, unionid: false, snapshot: false },
      { id: 'snapshot', avatar: true, unionid: true, snapshot: true },
      { id: 'html', avatar: true, unionid: true, snapshot: false },
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
    return { response, svg: await response.text() }
  }

  it("serves every user's avatar as an SVG in a colour of its own", async () => {
    const fills = new Set<string>()
    for (const user of TEST_USERS.filter(({ headimgurl }) => headimgurl)) {
      const { response, svg } = await avatar(new URL(user.headimgurl).pathname)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('image/svg+xml')
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
      fills.add(/fill="(hsl\([^)]*\))"/.exec(svg)?.[1] ?? '')
    }

    expect(fills.size).toBe(5)
  })

  it('serves any other path too, the same way every time', async () => {
    const first = await avatar('/mmopen/vi_32/anything/0')
    const again = await avatar('/mmopen/vi_32/anything/0')

    expect(first.response.status).toBe(200)
    expect(first.svg).toBe(again.svg)
  })
})
