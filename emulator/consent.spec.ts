import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import {
  APP_CALLBACK,
  authorizeUrl,
  confirm,
  exchange,
  loadPage,
  queryOf,
  redirectTarget,
  startEmulator,
  T0,
  validParams,
} from './test-support/index.ts'
import { testUser } from './users'

const emulator = await startEmulator()
afterAll(() => emulator.close())
beforeEach(() => emulator.reset())

const DAY_MS = 86_400_000
const CODE = '[0-9A-Za-z]{32}'
const SILENT = new RegExp(`^${APP_CALLBACK.replace(/[.?]/g, '\\$&')}\\?code=${CODE}&state=xyz123$`)

const userinfoUrl = () => authorizeUrl(emulator.url, validParams())
const baseUrl = () => authorizeUrl(emulator.url, validParams({ scope: 'snsapi_base' }))
const forcedUrl = () => authorizeUrl(emulator.url, [...validParams(), ['forcePopup', 'true']])

const isConsentSheet = (page: Awaited<ReturnType<typeof loadPage>>) =>
  page.document.querySelector('input[name="user"]') !== null

/** 允许 on the consent sheet for that user, as a first authorization. */
async function allow(user = 'normal') {
  const answer = await confirm(emulator, queryOf(userinfoUrl()), user, 'allow')
  expect(answer.status).toBe(200)
}

async function silentCode(url: string): Promise<string> {
  const target = redirectTarget(await loadPage(url))
  expect(target).toMatch(SILENT)
  return new URL(target).searchParams.get('code') ?? ''
}

describe('snsapi_userinfo consent memory', () => {
  it('shows the sheet on a first authorization', async () => {
    const page = await loadPage(userinfoUrl())

    expect(isConsentSheet(page)).toBe(true)
    expect(page.document.body.dataset.redirect).toBeUndefined()
  })

  it('redirects silently with a userinfo code after 允许', async () => {
    await allow()

    const code = await silentCode(userinfoUrl())
    const answer = await exchange(emulator, code)
    expect(answer.body).toMatchObject({
      scope: 'snsapi_userinfo',
      openid: emulator.users()[0]?.openid,
      unionid: testUser('normal').unionid,
    })
    expect(emulator.counts()).toMatchObject({ authorize: 1, confirm: 1 })
  })

  it('remembers the consent of that user only', async () => {
    await allow('emoji')

    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
    emulator.setNextUser('emoji')
    expect(redirectTarget(await loadPage(userinfoUrl()))).toMatch(SILENT)
  })

  it('shows the sheet again with forcePopup=true, and 允许 there keeps the memory', async () => {
    await allow()

    const forced = await loadPage(forcedUrl())
    expect(isConsentSheet(forced)).toBe(true)
    const again = await confirm(emulator, queryOf(forcedUrl()), 'normal', 'allow')
    expect((again.json as { redirect: string }).redirect).toMatch(SILENT)
    expect(redirectTarget(await loadPage(userinfoUrl()))).toMatch(SILENT)
  })

  it('does not remember 拒绝', async () => {
    const denied = await confirm(emulator, queryOf(userinfoUrl()), 'normal', 'deny')

    expect(denied.json).toEqual({ redirect: `${APP_CALLBACK}?state=xyz123` })
    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
    expect(emulator.users()[0]?.consentUntil).toBeNull()
  })

  it('remembers a consent only from a snsapi_userinfo sheet', async () => {
    const base = authorizeUrl(emulator.url, validParams({ scope: 'snsapi_base' }))
    await confirm(emulator, queryOf(base), 'normal', 'allow')

    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
  })

  it('forgets the consent after 30 days on the emulator clock', async () => {
    await allow()
    expect(emulator.users()[0]?.consentUntil).toBe(T0 + 30 * DAY_MS)

    emulator.advanceClock(30 * DAY_MS - 1)
    expect(redirectTarget(await loadPage(userinfoUrl()))).toMatch(SILENT)
    emulator.advanceClock(1)
    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
    expect(emulator.users()[0]?.consentUntil).toBeNull()
  })

  it('starts another 30 days at each 允许', async () => {
    await allow()
    emulator.advanceClock(20 * DAY_MS)
    await confirm(emulator, queryOf(forcedUrl()), 'normal', 'allow')

    expect(emulator.users()[0]?.consentUntil).toBe(T0 + 50 * DAY_MS)
  })

  it('forgets every consent on DELETE /__emulator/consents, as 授权管理 would', async () => {
    await allow()
    await allow('emoji')
    const response = await fetch(`${emulator.url}/__emulator/consents`, { method: 'DELETE' })

    expect(await response.json()).toEqual({ ok: true, forgotten: 2 })
    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
    expect(emulator.users().map(({ consentUntil }) => consentUntil)).toEqual(
      emulator.users().map(() => null),
    )
  })

  it('forgets every consent on reset', async () => {
    await allow()
    await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' })

    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
  })
})

describe('snsapi_base', () => {
  it('is silent with or without consent, and forcePopup changes nothing', async () => {
    const forcedBase = authorizeUrl(emulator.url, [
      ...validParams({ scope: 'snsapi_base' }),
      ['forcePopup', 'true'],
    ])
    const targets = [redirectTarget(await loadPage(baseUrl()))]
    targets.push(redirectTarget(await loadPage(forcedBase)))
    await allow()
    targets.push(redirectTarget(await loadPage(baseUrl())))

    for (const target of targets) expect(target).toMatch(SILENT)
  })

  it('answers no unionid by default, even after consent', async () => {
    await allow()
    const answer = await exchange(emulator, await silentCode(baseUrl()))

    expect(Object.keys(answer.body)).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'openid',
      'scope',
    ])
    expect(answer.body.scope).toBe('snsapi_base')
  })

  it('answers the unionid with baseUnionid for a user whose consent is remembered', async () => {
    emulator.setConfig({ baseUnionid: true })
    const before = await exchange(emulator, await silentCode(baseUrl()))
    await allow()
    const after = await exchange(emulator, await silentCode(baseUrl()))
    emulator.advanceClock(30 * DAY_MS)
    const expired = await exchange(emulator, await silentCode(baseUrl()))

    expect(before.body.unionid).toBeUndefined()
    expect(after.body).toMatchObject({
      scope: 'snsapi_base',
      unionid: testUser('normal').unionid,
    })
    expect(expired.body.unionid).toBeUndefined()
  })

  it('answers no unionid with baseUnionid for a user without one', async () => {
    emulator.setConfig({ baseUnionid: true })
    await allow('no-unionid')
    emulator.setNextUser('no-unionid')
    const answer = await exchange(emulator, await silentCode(baseUrl()))

    expect(answer.body.unionid).toBeUndefined()
  })
})

describe('测试号 (testAccount)', () => {
  const REFUSED = '必须关注此测试号，错误码：10006'

  it('shows 10006 to a user who does not follow, for both scopes', async () => {
    emulator.setConfig({ testAccount: true })
    emulator.setNextUser('not-following')

    for (const url of [baseUrl(), userinfoUrl()]) {
      const page = await loadPage(url)
      expect(page).toMatchObject({ status: 200, errcode: '10006', text: REFUSED })
      expect(page.document.body.dataset.redirect).toBeUndefined()
    }
    expect(emulator.log().map(({ errcode }) => errcode)).toEqual([10006, 10006])
  })

  it('refuses 允许 for a non-follower picked on the sheet', async () => {
    emulator.setConfig({ testAccount: true })

    const answer = await confirm(emulator, queryOf(userinfoUrl()), 'not-following', 'allow')
    expect(answer).toMatchObject({ status: 400, json: { code: 10006, error: REFUSED } })
    expect(emulator.users().find(({ id }) => id === 'not-following')?.consentUntil).toBeNull()
  })

  it('lets followers through', async () => {
    emulator.setConfig({ testAccount: true })

    await silentCode(baseUrl())
    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
  })

  it('lets everyone through on an ordinary account', async () => {
    emulator.setNextUser('not-following')

    await silentCode(baseUrl())
    expect(isConsentSheet(await loadPage(userinfoUrl()))).toBe(true)
  })

  it('checks configuration errors first', async () => {
    emulator.setConfig({ testAccount: true })
    emulator.setNextUser('not-following')
    const page = await loadPage(
      authorizeUrl(emulator.url, validParams({ redirectUri: 'http://evil.example/cb' })),
    )

    expect(page.errcode).toBe('10003')
  })
})
