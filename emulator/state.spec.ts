import { describe, expect, it } from 'vitest'
import { EmulatorState } from './state'

function newState() {
  return new EmulatorState(
    {
      appId: 'wx1',
      appSecret: 's',
      appName: 'app',
      accessTokenTtlS: 7200,
      refreshTokenTtlS: 86_400,
    },
    {
      requireWechatUa: true,
      allowDesktop: false,
      codeTtlMs: 300_000,
      domain: 'localhost',
      expiredCodeErrcode: 40029,
      ipWhitelist: null,
      frozenSecret: false,
      tokenDailyQuota: 2000,
      baseUnionid: false,
      testAccount: false,
    },
    () => 0,
  )
}

describe('EmulatorState', () => {
  it('forgets the oldest codes past 5000', () => {
    const state = newState()
    const codes = Array.from({ length: 5001 }, () => state.issueCode('normal', 'snsapi_base'))

    expect(state.redeemCode('wx1', codes[0] ?? '')).toEqual({ ok: false, reason: 'invalid' })
    expect(state.redeemCode('wx1', codes[1] ?? '').ok).toBe(true)
  })

  it('keeps the last 5000 log entries', () => {
    const state = newState()
    for (let i = 0; i < 5001; i++) state.record('auth', { i: String(i) })

    const log = state.log()
    expect(log).toHaveLength(5000)
    expect(log[0]?.query).toEqual({ i: '1' })
  })

  it('refuses a code issued to another app', () => {
    const state = newState()
    const code = state.issueCode('normal', 'snsapi_base')

    expect(state.redeemCode('wx2', code)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('applies faults for an endpoint in order', () => {
    const state = newState()
    state.addFault({ endpoint: 'auth', errcode: 1, times: 2 })
    state.addFault({ endpoint: 'userinfo', errcode: 2, times: 1 })
    state.addFault({ endpoint: 'auth', errcode: 3, times: 1 })

    const taken = [1, 2, 3, 4].map(() => state.takeFault('auth')?.errcode ?? null)

    expect(taken).toEqual([1, 1, 3, null])
    expect(state.pendingFaults()).toEqual([{ endpoint: 'userinfo', errcode: 2, times: 1 }])
  })
})
