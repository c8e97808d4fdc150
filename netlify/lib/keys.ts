import type { SessionSecrets } from './config.ts'

export type KeyPurpose = 'session' | 'tokens'
/** What a signing key signs: `avatar`, the paths of this site's avatar copies (avatars.ts). */
export type SigningPurpose = 'avatar'

/** How the session cookie and the stored tokens are sealed: a direct AES-256-GCM key. */
export const JWE_HEADER = { alg: 'dir', enc: 'A256GCM' } as const

/** The only algorithms a sealed value may name to be opened: no other is ever tried. */
export const JWE_ALGORITHMS = {
  keyManagementAlgorithms: [JWE_HEADER.alg],
  contentEncryptionAlgorithms: [JWE_HEADER.enc],
}

const keys = new Map<string, Promise<CryptoKey>>()

/** The HKDF step every key starts from, so no two purposes ever share a key. */
function derive(
  secret: string,
  purpose: KeyPurpose | SigningPurpose,
  algorithm: AesKeyGenParams | HmacImportParams,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  const id = `${purpose}\u0000${secret}`
  let key = keys.get(id)
  if (!key) {
    const encoder = new TextEncoder()
    key = crypto.subtle
      .importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey'])
      .then((material) =>
        crypto.subtle.deriveKey(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: new Uint8Array(0),
            info: encoder.encode(`wechat-h5-login ${purpose}`),
          },
          material,
          algorithm,
          false,
          usages,
        ),
      )
    keys.set(id, key)
  }
  return key
}

/**
 * A 256-bit AES-GCM key for one purpose, derived from a session secret with HKDF, so the
 * session cookie and the stored tokens never share a key. Computed once per secret and
 * purpose, and kept as a CryptoKey: raw bytes would be imported again on every use.
 */
export function deriveKey(secret: string, purpose: KeyPurpose): Promise<CryptoKey> {
  return derive(secret, purpose, { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt'])
}

/** A 256-bit HMAC-SHA256 key for one purpose, derived from a session secret like `deriveKey`. */
export function deriveSigningKey(secret: string, purpose: SigningPurpose): Promise<CryptoKey> {
  return derive(secret, purpose, { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign'])
}

/** The key that seals: the current secret's. */
export function sealingKey(secrets: SessionSecrets, purpose: KeyPurpose): Promise<CryptoKey> {
  return deriveKey(secrets.current, purpose)
}

/**
 * What `open` makes of a sealed value with the first key that opens it, the current secret's
 * first, then each previous one's; `previous` says it took an earlier secret. Null when none
 * does.
 */
export async function openWithAny<T>(
  secrets: SessionSecrets,
  purpose: KeyPurpose,
  open: (key: CryptoKey) => Promise<T>,
): Promise<{ value: T; previous: boolean } | null> {
  const all = [secrets.current, ...secrets.previous]
  for (const [index, secret] of all.entries()) {
    try {
      return { value: await open(await deriveKey(secret, purpose)), previous: index > 0 }
    } catch {
      // Not this key's, tampered with, or expired: the next key, if any, decides.
    }
  }
  return null
}
