export type KeyPurpose = 'session' | 'tokens'

const keys = new Map<string, Promise<Uint8Array>>()

/**
 * A 256-bit key for one purpose, derived from SESSION_SECRET with HKDF, so the session
 * cookie and the stored tokens never share a key. Computed once per secret and purpose.
 */
export function deriveKey(secret: string, purpose: KeyPurpose): Promise<Uint8Array> {
  const id = `${purpose}\u0000${secret}`
  let key = keys.get(id)
  if (!key) {
    const encoder = new TextEncoder()
    key = crypto.subtle
      .importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits'])
      .then((material) =>
        crypto.subtle.deriveBits(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: new Uint8Array(0),
            info: encoder.encode(`wechat-h5-login ${purpose}`),
          },
          material,
          256,
        ),
      )
      .then((bits) => new Uint8Array(bits))
    keys.set(id, key)
  }
  return key
}
