import { createHash } from 'node:crypto'
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

/**
 * A generated avatar for any `/mmopen/…` path: a silhouette on a colour that is fixed per
 * test user (and derived from the path otherwise), so browser tests can route
 * `https://thirdwx.qlogo.cn/**` here and still see whose avatar is shown.
 */
export function avatarSvg(path: string): string {
  const hue = hueFor(path)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132">
<rect width="132" height="132" fill="hsl(${hue},60%,55%)"/>
<circle cx="66" cy="52" r="24" fill="#fff" fill-opacity=".9"/>
<path d="M22 132c0-28 20-46 44-46s44 18 44 46z" fill="#fff" fill-opacity=".9"/>
</svg>
`
}
