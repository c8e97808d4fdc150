import { describe, expect, it } from 'vitest'
import { stateForVerifier } from '@contract'
import { buildAuthorizeUrl, createVerifier } from '../authorize'

const BASE = {
  authorizeUrl: 'https://open.weixin.qq.com/connect/oauth2/authorize',
  appId: 'wx520c15f417810387',
  redirectUri: 'https://chong.qq.com/auth/callback',
  scope: 'snsapi_userinfo' as const,
  state: 'STATE123',
}

describe('buildAuthorizeUrl', () => {
  it('puts the parameters in WeChat order and ends with #wechat_redirect', () => {
    expect(buildAuthorizeUrl(BASE)).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387&redirect_uri=https%3A%2F%2Fchong.qq.com%2Fauth%2Fcallback&response_type=code&scope=snsapi_userinfo&state=STATE123#wechat_redirect',
    )
  })

  it('encodes a redirect_uri with its own query and fragment', () => {
    const url = buildAuthorizeUrl({ ...BASE, redirectUri: 'https://a.example/cb?x=1&y=二#/p' })
    expect(url).toContain(
      'redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1%26y%3D%E4%BA%8C%23%2Fp&response_type=code',
    )
  })

  it('adds forcePopup=true after state when asked, and snsapi_base as scope', () => {
    expect(buildAuthorizeUrl({ ...BASE, scope: 'snsapi_base', forcePopup: true })).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387&redirect_uri=https%3A%2F%2Fchong.qq.com%2Fauth%2Fcallback&response_type=code&scope=snsapi_base&state=STATE123&forcePopup=true#wechat_redirect',
    )
  })

  it('uses a configured base URL, such as the emulator', () => {
    expect(
      buildAuthorizeUrl({
        ...BASE,
        authorizeUrl: 'http://127.0.0.1:8899/connect/oauth2/authorize',
      }),
    ).toMatch(/^http:\/\/127\.0\.0\.1:8899\/connect\/oauth2\/authorize\?appid=/)
  })
})

describe('createVerifier', () => {
  it('is 43 characters of [A-Za-z0-9] and differs every time', () => {
    const verifiers = new Set(Array.from({ length: 200 }, () => createVerifier()))
    expect(verifiers.size).toBe(200)
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9]{43}$/)
  })
})

describe('stateForVerifier', () => {
  it('is the hex SHA-256 of the verifier, which WeChat accepts as a state', async () => {
    // sha256("abc"), FIPS 180-2 appendix B.1.
    expect(await stateForVerifier('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(await stateForVerifier(createVerifier())).toMatch(/^[0-9a-f]{64}$/)
  })
})
