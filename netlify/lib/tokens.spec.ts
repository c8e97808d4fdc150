import { CompactEncrypt } from 'jose'
import { describe, expect, it } from 'vitest'
import { deriveKey } from './keys.ts'
import { openTokens, sealTokens, type StoredTokens } from './tokens.ts'

const SECRET = 'a-token-secret-of-at-least-32-bytes!!!'
const SECRETS = { current: SECRET, previous: [] }
const NEXT = 'the-next-token-secret-of-32-bytes!!!!'
const TOKENS: StoredTokens = {
  openid: 'oTOKENS000000000000000000001',
  scope: 'snsapi_userinfo',
  accessToken: '83_access',
  refreshToken: '83_refresh',
  accessExpiresAt: 1_800_007_200_000,
  refreshExpiresAt: 1_802_592_000_000,
}

describe('sealTokens / openTokens', () => {
  it('seal to a dir/A256GCM compact JWE that hides the tokens and opens for its openid only', async () => {
    const sealed = await sealTokens(SECRETS, TOKENS)
    expect(JSON.parse(Buffer.from(sealed.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
    })
    expect(sealed).not.toContain('83_')
    expect(await openTokens(SECRETS, TOKENS.openid, sealed)).toEqual(TOKENS)
    expect(await openTokens(SECRETS, 'oSOMEONEELSE', sealed)).toBeNull()
    expect(
      await openTokens({ current: `${SECRET}x`, previous: [] }, TOKENS.openid, sealed),
    ).toBeNull()
  })

  it('refuse tokens sealed with the same key under another algorithm', async () => {
    const key = await deriveKey(SECRET, 'tokens')
    const plaintext = new TextEncoder().encode(JSON.stringify(TOKENS))
    for (const enc of ['A256GCM', 'A128CBC-HS256']) {
      const wrapped = await new CompactEncrypt(plaintext)
        .setProtectedHeader({ alg: 'A256GCMKW', enc })
        .encrypt(key)
      expect(await openTokens(SECRETS, TOKENS.openid, wrapped)).toBeNull()
    }
  })

  it('open under a previous secret, and seal under the current one only', async () => {
    const rotated = { current: NEXT, previous: [`${SECRET}-older`, SECRET] }
    const old = await sealTokens(SECRETS, TOKENS)
    expect(await openTokens(rotated, TOKENS.openid, old)).toEqual(TOKENS)
    expect(await openTokens({ current: NEXT, previous: [] }, TOKENS.openid, old)).toBeNull()
    const resealed = await sealTokens(rotated, TOKENS)
    expect(await openTokens({ current: NEXT, previous: [] }, TOKENS.openid, resealed)).toEqual(
      TOKENS,
    )
    expect(await openTokens(SECRETS, TOKENS.openid, resealed)).toBeNull()
  })
})
