import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { countReport, summarize } from './count-results.ts'
import { BlobsServer } from '@netlify/blobs/server'
import { formatUsers, LOCAL_SITE_ID, readLocalUsers } from './list-users.ts'
import { blobStores } from '../netlify/lib/stores.ts'
import { recordForget, recordProfile, recordSignIn } from '../netlify/lib/users.ts'
import { testUser } from '../netlify/test-support/users.ts'

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

  it('sums the reports and counts a suite that left none as one failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'count-results-'))
    try {
      const unit = join(dir, 'unit.json')
      const e2e = join(dir, 'e2e.json')
      writeFileSync(unit, JSON.stringify({ numPassedTests: 989, numFailedTests: 0 }))
      expect(summarize([unit, e2e])).toEqual({
        lines: [
          `${unit}: 989 passed, 0 failed, 0 skipped`,
          `${e2e}: no report (the suite did not run), counted as 1 failed`,
          '989 passed, 1 failed',
        ],
        exitCode: 1,
      })
      writeFileSync(e2e, JSON.stringify({ stats: { expected: 38, unexpected: 0, skipped: 0 } }))
      expect(summarize([unit, e2e])).toEqual({
        lines: [
          `${unit}: 989 passed, 0 failed, 0 skipped`,
          `${e2e}: 38 passed, 0 failed, 0 skipped`,
          '1027 passed, 0 failed',
        ],
        exitCode: 0,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
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

  it('reads every user from a local Blobs directory, without their grants', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'list-users-'))
    const server = new BlobsServer({ directory, token: 't', port: 0 })
    let running = false
    try {
      const url = `http://127.0.0.1:${(await server.start()).port}`
      running = true
      const location = { siteID: LOCAL_SITE_ID, token: 't', edgeURL: url, uncachedEdgeURL: url }
      const store = blobStores(location)('users')
      const day = (n: number) => new Date(Date.UTC(2026, 0, n))
      const a = testUser({ openid: 'oA', unionid: 'uA', nickname: '甲' })
      const b = testUser({ openid: 'oB', nickname: '乙' })
      await recordSignIn(store, a, day(1), 'sealed-a1')
      await recordSignIn(store, b, day(2), 'sealed-b1')
      await recordSignIn(store, a, day(3), 'sealed-a2')
      await recordProfile(store, { ...a, nickname: '甲2' }, day(4))
      await recordForget(store, 'oC', day(5))
      // The script starts a server of its own on the directory.
      await server.stop()
      running = false

      const users = await readLocalUsers(directory)
      expect(formatUsers(users)).toBe(
        [
          'openid\tunionid\tnickname\tsign-ins\tfirst\tlast',
          'oA\tuA\t甲2\t2\t2026-01-01T00:00:00.000Z\t2026-01-03T00:00:00.000Z',
          'oB\t-\t乙\t1\t2026-01-02T00:00:00.000Z\t2026-01-02T00:00:00.000Z',
        ].join('\n'),
      )
      expect(JSON.stringify(users)).not.toContain('sealed')
    } finally {
      if (running) await server.stop()
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
