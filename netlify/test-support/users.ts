import type { SessionUser } from '../../contract/index.ts'

/**
 * A SessionUser for tests: WeChat's empty profile (what an snsapi_base sign-in gets), with
 * `fields` over it.
 */
export function testUser({
  openid,
  ...fields
}: Pick<SessionUser, 'openid'> & Partial<SessionUser>): SessionUser {
  return {
    openid,
    scope: 'snsapi_base',
    nickname: '',
    headimgurl: '',
    sex: 0,
    province: '',
    city: '',
    country: '',
    privilege: [],
    ...fields,
  }
}
