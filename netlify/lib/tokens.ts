import type { Store } from '@netlify/blobs'
import { compactDecrypt } from 'jose'
import type { WechatScope } from '../../src/contract.ts'
import { sealCompact } from './jwe.ts'
import { deriveKey } from './keys.ts'
import type { WebAccessToken } from './wechat.ts'

/** WeChat's refresh_token lives 30 days from the grant and refreshing does not extend it. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000

/** A user's WeChat tokens as kept on the server: never sent to the browser. */
export interface StoredTokens {
  openid: string
  scope: WechatScope
  accessToken: string
  refreshToken: string
  accessExpiresAt: number
  refreshExpiresAt: number
}

/**
 * Keeps the tokens in Netlify Blobs, encrypted at rest (JWE, dir + A256GCM, a key derived
 * from SESSION_SECRET), so a leaked store or backup holds nothing usable.
 * @see wechat-behaviour.md §4 (lifetimes)
 */
export async function saveTokens(
  store: Store,
  secret: string,
  token: WebAccessToken,
  nowMs: number,
  previous?: StoredTokens | null,
): Promise<StoredTokens> {
  const record: StoredTokens = {
    openid: token.openid,
    scope: token.scope,
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    accessExpiresAt: nowMs + token.expires_in * 1000,
    refreshExpiresAt:
      previous?.refreshToken === token.refresh_token
        ? previous.refreshExpiresAt
        : nowMs + REFRESH_TOKEN_TTL_MS,
  }
  const sealed = sealCompact(JSON.stringify(record), await deriveKey(secret, 'tokens'))
  await store.set(token.openid, sealed)
  return record
}

/** The stored tokens, or null when there are none or they cannot be decrypted. */
export async function loadTokens(
  store: Store,
  secret: string,
  openid: string,
): Promise<StoredTokens | null> {
  const sealed = await store.get(openid, { type: 'text' })
  if (!sealed) return null
  try {
    const { plaintext } = await compactDecrypt(sealed, await deriveKey(secret, 'tokens'))
    const record = JSON.parse(new TextDecoder().decode(plaintext)) as StoredTokens
    return record.openid === openid ? record : null
  } catch {
    return null
  }
}

export async function deleteTokens(store: Store, openid: string): Promise<void> {
  await store.delete(openid)
}
