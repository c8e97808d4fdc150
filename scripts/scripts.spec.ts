import { describe, expect, it } from 'vitest'
import { countReport } from './count-results.ts'
import { formatUsers } from './list-users.ts'
import { testUser } from '../netlify/lib/test-users.ts'

describe('count-results', () => {
  it('reads Vitest (Jest-shaped) and Playwright reports', () => {
    expect(countReport({ numPassedTests: 7, numFailedTests: 2, numPendingTests: 1 })).toEqual({
      passed: 7,
      failed: 2,
      skipped: 1,
    })
    expect(
      countReport({ stats: { expected: 5, unexpected: 1, flaky: 1, skipped: 2 }, errors: [{}] }),
    ).toEqual({ passed: 6, failed: 2, skipped: 2 })
  })

  it('refuses a report it does not know', () => {
    expect(() => countReport({})).toThrow('unknown report format')
  })
})

describe('list-users', () => {
  it('prints one tab-separated row per user under a header', () => {
    const text = formatUsers([
      {
        openid: 'oA',
        profile: testUser({ openid: 'oA' }),
        firstSignInAt: '2026-01-01T00:00:00.000Z',
        lastSignInAt: '2026-01-02T00:00:00.000Z',
        signInCount: 3,
      },
    ])
    expect(text).toBe(
      'openid\tunionid\tnickname\tsign-ins\tfirst\tlast\noA\t-\t-\t3\t2026-01-01T00:00:00.000Z\t2026-01-02T00:00:00.000Z',
    )
    expect(formatUsers([])).toBe('no users yet')
  })
})
