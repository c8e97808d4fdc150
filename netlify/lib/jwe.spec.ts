import { compactDecrypt } from 'jose'
import { describe, expect, it } from 'vitest'
import { sealCompact } from './jwe.ts'
import { deriveKey } from './keys.ts'

const SECRET = 'a-test-secret-of-at-least-32-bytes!!'

describe('sealCompact', () => {
  it('writes a dir/A256GCM compact JWE that jose opens', async () => {
    const key = await deriveKey(SECRET, 'tokens')
    const sealed = sealCompact('{"nickname":"微信用户"}', key)
    expect(sealed).toMatch(/^[\w-]+\.\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/)
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, key)
    expect(new TextDecoder().decode(plaintext)).toBe('{"nickname":"微信用户"}')
    expect(protectedHeader).toEqual({ alg: 'dir', enc: 'A256GCM' })
  })

  it('uses a fresh IV each time and is refused under another key or when altered', async () => {
    const key = await deriveKey(SECRET, 'tokens')
    const [a, b] = [sealCompact('same', key), sealCompact('same', key)]
    expect(a).not.toBe(b)
    await expect(compactDecrypt(a, await deriveKey(SECRET, 'session'))).rejects.toThrow()
    const parts = a.split('.')
    parts[3] = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`
    await expect(compactDecrypt(parts.join('.'), key)).rejects.toThrow()
  })
})
