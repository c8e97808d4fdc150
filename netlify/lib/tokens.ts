import { CompactEncrypt, compactDecrypt } from 'jose'
import type { WechatScope } from '../../contract/index.ts'
import type { SessionSecrets } from './config.ts'
import { JWE_ALGORITHMS, JWE_HEADER, openWithAny, sealingKey } from './keys.ts'
import type { StoreFactory } from './stores.ts'
import { readGrant, recordForget, recordRenewal } from './users.ts'
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
 * The tokens of a grant as kept, with their expiry times. A renewal that brings the same
 * refresh_token keeps its expiry: refreshing does not extend it.
 * @see wechat-behaviour.md §4 (lifetimes)
 */
export function grantTokens(
  token: WebAccessToken,
  nowMs: number,
  previous?: StoredTokens | null,
): StoredTokens {
  return {
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
}

/**
 * Encrypts the tokens for keeping in Netlify Blobs (JWE, dir + A256GCM, a key derived from
 * SESSION_SECRET), so a leaked store or backup holds nothing usable. They are kept in the
 * user's events (users.ts), written with the sign-in that brought them.
 */
export async function sealTokens(secrets: SessionSecrets, tokens: StoredTokens): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(tokens)))
    .setProtectedHeader(JWE_HEADER)
    .encrypt(await sealingKey(secrets, 'tokens'))
}

/**
 * The tokens sealed in `sealed` under the current or a previous secret, or null when they
 * cannot be decrypted or are another's.
 */
export async function openTokens(
  secrets: SessionSecrets,
  openid: string,
  sealed: string,
): Promise<StoredTokens | null> {
  const opened = await openWithAny(secrets, 'tokens', async (key) => {
    const { plaintext } = await compactDecrypt(sealed, key, JWE_ALGORITHMS)
    return JSON.parse(new TextDecoder().decode(plaintext)) as StoredTokens
  })
  return opened?.value.openid === openid ? opened.value : null
}

/** The user's tokens and the sign-in event whose grant they are (see users.ts). */
export interface LoadedTokens {
  tokens: StoredTokens
  signIn: string
}

/** The stored tokens, or null when there are none or they cannot be decrypted. */
export async function loadTokens(
  stores: StoreFactory,
  secrets: SessionSecrets,
  openid: string,
): Promise<LoadedTokens | null> {
  const grant = await readGrant(stores('users'), openid)
  const tokens = grant && (await openTokens(secrets, openid, grant.sealed))
  return tokens && { tokens, signIn: grant.signIn }
}

/** Keeps tokens renewed from the grant of the sign-in event `signIn`. */
export async function saveTokens(
  stores: StoreFactory,
  secrets: SessionSecrets,
  signIn: string,
  tokens: StoredTokens,
  now: number,
): Promise<void> {
  const sealed = await sealTokens(secrets, tokens)
  await recordRenewal(stores('users'), tokens.openid, signIn, sealed, new Date(now))
}

/** Forgets the user's tokens; the rest of the record stays. */
export async function deleteTokens(
  stores: StoreFactory,
  openid: string,
  now: number,
): Promise<void> {
  await recordForget(stores('users'), openid, new Date(now))
}
