import { describe, expect, it } from 'vitest'
import { readCallbackParams } from '../callback'

describe('readCallbackParams', () => {
  it('reads code and state from the search string', () => {
    expect(readCallbackParams('?code=0a1B2c&state=XyZ')).toEqual({ code: '0a1B2c', state: 'XyZ' })
  })

  it('is not fooled by a fragment: location.search ends before the #', () => {
    const url = new URL('https://app.example/auth/callback?code=CODE&state=STATE#/profile')
    expect(readCallbackParams(url.search)).toEqual({ code: 'CODE', state: 'STATE' })
  })

  it('reads the query that WeChat puts before a hash route', () => {
    const url = new URL('https://app.example/?code=CODE&state=STATE#/auth/callback?x=1')
    expect(readCallbackParams(url.search)).toEqual({ code: 'CODE', state: 'STATE' })
  })

  it('treats state without code, and code=authdeny, as a refusal', () => {
    expect(readCallbackParams('?state=XyZ')).toEqual({ code: null, state: 'XyZ' })
    expect(readCallbackParams('?code=authdeny&state=XyZ')).toEqual({ code: null, state: 'XyZ' })
  })

  it('returns null for a URL that is no callback', () => {
    expect(readCallbackParams('')).toBeNull()
    expect(readCallbackParams('?from=timeline')).toBeNull()
  })
})
