import { avatarPathFor, unionidFor } from './ids'

export type TestUserId =
  'normal' | 'emoji' | 'no-avatar' | 'no-unionid' | 'snapshot' | 'html' | 'not-following'

/** The user the authorize page preselects when no other was chosen through the control API. */
export const DEFAULT_USER_ID: TestUserId = 'normal'

/** Where WeChat serves avatars; the emulator serves the same paths under `/mmopen/`. */
export const AVATAR_ORIGIN = 'https://thirdwx.qlogo.cn'

export interface TestUser {
  readonly id: TestUserId
  readonly nickname: string
  /** `''` when the user has no avatar, as WeChat answers. */
  readonly headimgurl: string
  /** `null` when the account is not bound to an Open Platform account. */
  readonly unionid: string | null
  /**
   * The virtual identity of the Moments snapshot page: WeChat skips consent and its token
   * carries `is_snapshotuser: 1`.
   */
  readonly snapshot: boolean
  /** Follows the Official Account; on a 测试号 only followers get past the authorize page. */
  readonly followed: boolean
  /** What the user is for, shown by the CLI. */
  readonly purpose: string
}

/**
 * A user's avatar URL; each `version` (a new picture after a change) has a path of its own,
 * as WeChat's do.
 */
export function avatarUrl(id: TestUserId, version = 0): string {
  const path = avatarPathFor(version === 0 ? id : `${id}:${version}`)
  return `${AVATAR_ORIGIN}/mmopen/vi_32/${path}/132`
}

/**
 * The test users, in the order the consent page lists them.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export const TEST_USERS: readonly TestUser[] = [
  {
    id: 'normal',
    nickname: '微信用户小明',
    headimgurl: avatarUrl('normal'),
    unionid: unionidFor('normal'),
    snapshot: false,
    followed: true,
    purpose: 'an ordinary user',
  },
  {
    id: 'emoji',
    // Written with explicit ZWJs: a family sequence and a skin tone, 24 code points in all.
    nickname: '🌸✨小仙女的日常生活记录🍰🎀～👩\u200d👩\u200d👧\u200d👦👍🏻',
    headimgurl: avatarUrl('emoji'),
    unionid: unionidFor('emoji'),
    snapshot: false,
    followed: true,
    purpose: 'a long nickname with emoji, ZWJ sequences and skin tones',
  },
  {
    id: 'no-avatar',
    nickname: '李雷',
    headimgurl: '',
    unionid: unionidFor('no-avatar'),
    snapshot: false,
    followed: true,
    purpose: 'no avatar (headimgurl is "")',
  },
  {
    id: 'no-unionid',
    nickname: '韩梅梅',
    headimgurl: avatarUrl('no-unionid'),
    unionid: null,
    snapshot: false,
    followed: true,
    purpose: 'no unionid (account not bound to an Open Platform account)',
  },
  {
    id: 'snapshot',
    nickname: '快照页虚拟用户',
    headimgurl: avatarUrl('snapshot'),
    unionid: unionidFor('snapshot'),
    snapshot: true,
    followed: true,
    purpose:
      'the Moments snapshot page: snsapi_userinfo skips consent, is_snapshotuser 1, userinfo gives 48001 (snsapi_base: no snapshot)',
  },
  {
    id: 'html',
    nickname: '"><img src=x onerror=alert(1)><script>alert("xss")</script>&amp;',
    headimgurl: avatarUrl('html'),
    unionid: unionidFor('html'),
    snapshot: false,
    followed: true,
    purpose: 'a nickname full of HTML and script',
  },
  {
    id: 'not-following',
    nickname: '路过的张三',
    headimgurl: avatarUrl('not-following'),
    unionid: unionidFor('not-following'),
    snapshot: false,
    followed: false,
    purpose: 'does not follow the account: a 测试号 shows 10006 (必须关注此测试号)',
  },
]

/** Narrows untrusted input (control API bodies, the consent form) to a user id. */
export function isTestUserId(value: unknown): value is TestUserId {
  return TEST_USERS.some((user) => user.id === value)
}

/** The test user with that id. */
export function testUser(id: TestUserId): TestUser {
  const user = TEST_USERS.find((candidate) => candidate.id === id)
  if (!user) throw new Error(`no test user ${id}`)
  return user
}
