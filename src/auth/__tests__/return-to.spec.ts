import { describe, expect, it } from 'vitest'
import { safeReturnTo } from '../return-to'

const ORIGIN = 'https://app.example'

describe('safeReturnTo', () => {
  it.each([
    ['/profile', '/profile'],
    ['/profile?tab=1#top', '/profile?tab=1#top'],
    ['/a/../profile', '/profile'],
    // Stays an encoded path on this origin: the router never decodes it into `//host`.
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ])('keeps the same-origin path %s', (raw, expected) => {
    expect(safeReturnTo(raw, ORIGIN)).toBe(expected)
  })

  it.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
    // Dot segments that normalise into `//host`.
    '/x/..//evil.example',
    '/.//evil.example',
    '/%2e%2e//evil.example',
    '/a/%2E%2E//evil.example',
    '/x/../\\evil.example',
    'profile',
    '',
    42,
  ])('falls back to /profile for %j', (raw) => {
    expect(safeReturnTo(raw, ORIGIN)).toBe('/profile')
  })
})
