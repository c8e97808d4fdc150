import { CompactEncrypt } from 'jose'
import { describe, expect, it } from 'vitest'
import { deriveKey } from './keys.ts'
import { openTokens, sealTokens, type StoredTokens } from './tokens.ts'

const SECRET = 'a-token-secret-of-at-least-32-bytes!!!'
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
    const sealed = await sealTokens(SECRET, TOKENS)
    expect(JSON.parse(Buffer.from(sealed.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
    })
    expect(sealed).not.toContain('83_')
    expect(await openTokens(SECRET, TOKENS.openid, sealed)).toEqual(TOKENS)
    expect(await openTokens(SECRET, 'oSOMEONEELSE', sealed)).toBeNull()
    expect(await openTokens(`${SECRET}x`, TOKENS.openid, sealed)).toBeNull()
  })

  it('refuse tokens sealed with the same key under another algorithm', async () => {
    const key = await deriveKey(SECRET, 'tokens')
    const plaintext = new TextEncoder().encode(JSON.stringify(TOKENS))
    for (const enc of ['A256GCM', 'A128CBC-HS256']) {
      const wrapped = await new CompactEncrypt(plaintext)
        .setProtectedHeader({ alg: 'A256GCMKW', enc })
        .encrypt(key)
      expect(await openTokens(SECRET, TOKENS.openid, wrapped)).toBeNull()
    }
  })
})
