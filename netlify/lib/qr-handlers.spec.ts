import { createHash } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { QrLoginCreated, SessionUser } from '../../contract/index.ts'
import { atomicConditionalWrites } from '../test-support/atomic-writes.ts'
import { startBlobs } from '../test-support/blobs.ts'
import { testUser } from '../test-support/users.ts'
import { handleSession, handleSessions, type HandlerEnv } from './handlers.ts'
import * as qr from './qr-handlers.ts'
import { newSessionId, openSession, sealSession, type SessionClaims } from './session.ts'
import { blobStores, type StoreFactory } from './stores.ts'

/** Signing a computer in through the phone, through the real handlers and a real Blobs server. */
const SECRET = 'a-session-secret-of-at-least-32-bytes!!'
const SECRETS = { current: SECRET, previous: [] }
const BASE = 'https://app.example'
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const COMPUTER_IP = '203.0.113.7'
const PHONE_IP = '198.51.100.20'
/** Two users of the test's own, so that no test sees another's computers. */
let ALICE: SessionUser
let BOB: SessionUser
let tests = 0

let blobs: Awaited<ReturnType<typeof startBlobs>>
let clock: number
let env: HandlerEnv
let stores: StoreFactory

beforeAll(async () => {
  blobs = await startBlobs()
  stores = blobStores({ ...blobs.location, fetch: atomicConditionalWrites() })
})
afterAll(async () => {
  await blobs.close()
})
beforeEach(() => {
  // Never back: revocations are ordered by time, and tests sign the same users in.
  clock = Math.max((clock ?? 0) + 10_000_000, Date.now())
  tests += 1
  ALICE = testUser({ openid: `oALICE${String(tests).padStart(22, '0')}`, nickname: '小明' })
  BOB = testUser({ openid: `oBOB${String(tests).padStart(24, '0')}` })
  env = {
    env: (name) => ({ SESSION_SECRET: SECRET })[name],
    stores,
    now: () => clock,
    requestId: 'req-qr',
  }
})

const nowS = () => Math.floor(clock / 1000)
const at = (ip: string): HandlerEnv => ({ ...env, clientIp: ip })
const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0]!

async function phoneOf(user: SessionUser, claims: Partial<SessionClaims> = {}) {
  const sealed = await sealSession(
    { user, sid: newSessionId(), authTime: nowS(), ...claims },
    SECRETS,
    nowS(),
  )
  return `__Host-wx_session=${sealed}`
}

const headers = (cookie?: string, extra: Record<string, string> = {}) =>
  cookie ? { cookie, ...extra } : extra

function create(cookie?: string, handlers = qr) {
  return handlers.handleQrLoginCreate(
    new Request(`${BASE}/api/qr-login`, {
      method: 'POST',
      headers: headers(cookie, { 'user-agent': CHROME }),
    }),
    at(COMPUTER_IP),
  )
}

/** A new request: its body and the browser's binding cookie. */
async function asked(cookie?: string) {
  const response = await create(cookie)
  expect(response.status).toBe(201)
  return { ...((await response.json()) as QrLoginCreated), binding: cookieOf(response) }
}

const poll = (id: string, cookie?: string, handlers = qr) =>
  handlers.handleQrLoginPoll(
    new Request(`${BASE}/api/qr-login/${id}`, { headers: headers(cookie) }),
    at(COMPUTER_IP),
  )

const act = (id: string, action: string, cookie?: string, handlers = qr) =>
  handlers.handleQrLoginAction(
    new Request(`${BASE}/api/qr-login/${id}/${action}`, {
      method: 'POST',
      headers: headers(cookie),
    }),
    at(PHONE_IP),
  )

const answer = async (response: Response) => [response.status, await response.json()]

const getSession = (cookie: string) =>
  handleSession(new Request(`${BASE}/api/session`, { headers: { cookie } }), env)

const computers = (cookie: string, method = 'GET', id?: string) =>
  qr.handleComputers(
    new Request(`${BASE}/api/computers${id === undefined ? '' : `/${id}`}`, {
      method,
      headers: { cookie },
    }),
    env,
  )

/** A computer signed in by `user`'s phone: its session cookie and sid. */
async function signedInComputer(user: SessionUser = ALICE) {
  const phone = await phoneOf(user)
  const { id, binding } = await asked()
  expect((await act(id, 'scan', phone)).status).toBe(200)
  expect((await act(id, 'confirm', phone)).status).toBe(200)
  const collected = await poll(id, binding)
  expect(collected.status).toBe(200)
  const cookie = cookieOf(collected)
  const session = await openSession(cookie.replace(/^__Host-wx_session=/, ''), SECRETS, nowS())
  return { phone, cookie, sid: session!.sid }
}

const NOT_FOUND = { error: { code: 'not_found', message: 'no such qr login request' } }
const EXPIRED = {
  error: { code: 'qr_expired', message: 'the qr login request expired or was used' },
}
const NOT_SIGNED_IN = { error: { code: 'not_signed_in', message: 'not signed in' } }

describe('POST /api/qr-login', () => {
  it('answers 201 a request for this site, bound to this browser by an HttpOnly cookie', async () => {
    const response = await create()
    const body = (await response.json()) as QrLoginCreated
    expect(response.status).toBe(201)
    expect(body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      url: `${BASE}/qr/${body.id}`,
      expiresAt: new Date(clock + 120_000).toISOString(),
      expiresIn: 120,
    })
    expect(response.headers.get('set-cookie')).toMatch(
      /^__Host-wx_qr=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=180; Secure$/,
    )
    expect(response.headers.get('cache-control')).toBe('no-store')
    // The store keeps the binding's hash, never the binding.
    const value = cookieOf(response).split('=')[1]!
    const kept = await blobs
      .stores('qr-logins' as never)
      .get(`${body.id}/request`, { type: 'json' })
    expect(kept).toEqual({
      bindingHash: createHash('sha256').update(value).digest('base64url'),
      requester: {
        browser: 'Chrome 131',
        os: 'Windows',
        ip: COMPUTER_IP,
        requestedAt: new Date(clock).toISOString(),
      },
      createdAt: new Date(clock).toISOString(),
      expiresAt: new Date(clock + 120_000).toISOString(),
    })
  })

  it('keeps a browser its binding, so two tabs both wait; a malformed one is replaced', async () => {
    const first = await asked()
    const second = await asked(first.binding)
    expect(second.binding).toBe(first.binding)
    expect(second.id).not.toBe(first.id)
    expect(await answer(await poll(first.id, first.binding))).toEqual([200, { status: 'waiting' }])
    expect(await answer(await poll(second.id, first.binding))).toEqual([200, { status: 'waiting' }])
    const replaced = await asked('__Host-wx_qr=short')
    expect(replaced.binding).toMatch(/^__Host-wx_qr=[A-Za-z0-9_-]{43}$/)
  })

  it('names the plain cookie on http://localhost, with no Secure', async () => {
    const response = await qr.handleQrLoginCreate(
      new Request('http://localhost:8888/api/qr-login', { method: 'POST' }),
      env,
    )
    const body = (await response.json()) as QrLoginCreated
    expect(body.url).toBe(`http://localhost:8888/qr/${body.id}`)
    expect(response.headers.get('set-cookie')).toMatch(
      /^wx_qr=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=180$/,
    )
    const kept = await blobs
      .stores('qr-logins' as never)
      .get(`${body.id}/request`, { type: 'json' })
    expect(kept).toMatchObject({ requester: { browser: '', os: '', ip: '' } })
  })

  it('answers 405 for GET', async () => {
    const response = await qr.handleQrLoginCreate(new Request(`${BASE}/api/qr-login`), env)
    expect(await answer(response)).toEqual([
      405,
      { error: { code: 'method_not_allowed', message: 'method GET is not allowed' } },
    ])
  })
})

describe('a request, from waiting to used', () => {
  it('goes waiting → scanned → confirmed once, with the session, then expired', async () => {
    const log = vi.spyOn(console, 'error')
    const phone = await phoneOf(ALICE)
    const { id, binding, expiresAt } = await asked()
    expect(await answer(await poll(id, binding))).toEqual([200, { status: 'waiting' }])

    clock += 20_000
    expect(await answer(await act(id, 'scan', phone))).toEqual([
      200,
      {
        status: 'scanned',
        requester: {
          browser: 'Chrome 131',
          os: 'Windows',
          ip: COMPUTER_IP,
          requestedAt: new Date(clock - 20_000).toISOString(),
        },
        phoneIp: PHONE_IP,
        sameNetwork: false,
        expiresAt,
        expiresIn: 100,
      },
    ])
    expect(await answer(await poll(id, binding))).toEqual([200, { status: 'scanned' }])
    expect(await answer(await act(id, 'confirm', phone))).toEqual([200, { status: 'confirmed' }])

    const collected = await poll(id, binding)
    expect(await answer(collected)).toEqual([200, { status: 'confirmed', user: ALICE }])
    expect(collected.headers.get('set-cookie')).toMatch(
      /^__Host-wx_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800; Secure$/,
    )
    const computer = cookieOf(collected)
    expect(await answer(await getSession(computer))).toEqual([
      200,
      { user: ALICE, device: 'computer' },
    ])
    expect(await answer(await getSession(phone))).toEqual([200, { user: ALICE, device: 'phone' }])
    const phoneSid = (await openSession(phone.split('=')[1], SECRETS, nowS()))!.sid
    const computerSid = (await openSession(computer.split('=')[1], SECRETS, nowS()))!.sid
    expect(computerSid).not.toBe(phoneSid)

    const again = await poll(id, binding)
    expect(await answer(again)).toEqual([200, { status: 'expired' }])
    expect(again.headers.get('set-cookie')).toBeNull()
    expect(await answer(await act(id, 'scan', phone))).toEqual([410, EXPIRED])
    expect(log).not.toHaveBeenCalled()
    log.mockRestore()
  })

  it('says sameNetwork when phone and computer share an address', async () => {
    const { id } = await asked()
    const response = await qr.handleQrLoginAction(
      new Request(`${BASE}/api/qr-login/${id}/scan`, {
        method: 'POST',
        headers: { cookie: await phoneOf(ALICE) },
      }),
      at(COMPUTER_IP),
    )
    expect(await response.json()).toMatchObject({ phoneIp: COMPUTER_IP, sameNetwork: true })
  })

  it('is cancelled by the scanner: the computer is told, and no one can scan it again', async () => {
    const phone = await phoneOf(ALICE)
    const { id, binding } = await asked()
    await act(id, 'scan', phone)
    expect(await answer(await act(id, 'cancel', phone))).toEqual([200, { status: 'cancelled' }])
    const cancelled = await poll(id, binding)
    expect(await answer(cancelled)).toEqual([200, { status: 'cancelled' }])
    expect(cancelled.headers.get('set-cookie')).toBeNull()
    expect(await answer(await act(id, 'scan', phone))).toEqual([410, EXPIRED])
    expect(await answer(await act(id, 'confirm', phone))).toEqual([410, EXPIRED])
  })

  it('lets the scanner scan again, and refuses everyone else', async () => {
    const alice = await phoneOf(ALICE)
    const bob = await phoneOf(BOB)
    const { id, binding } = await asked()
    expect(await answer(await act(id, 'confirm', alice))).toEqual([
      409,
      { error: { code: 'qr_taken', message: 'the qr login request was not scanned by this user' } },
    ])
    expect((await act(id, 'scan', alice)).status).toBe(200)
    // A reload of the phone's page, even from another session of the same user.
    expect((await act(id, 'scan', await phoneOf(ALICE))).status).toBe(200)
    const taken = {
      error: { code: 'qr_taken', message: 'the qr login request was scanned by someone else' },
    }
    expect(await answer(await act(id, 'scan', bob))).toEqual([409, taken])
    expect(await answer(await act(id, 'confirm', bob))).toEqual([409, taken])
    expect(await answer(await act(id, 'cancel', bob))).toEqual([409, taken])
    expect(await answer(await poll(id, binding))).toEqual([200, { status: 'scanned' }])
    expect((await act(id, 'confirm', alice)).status).toBe(200)
    const decided = {
      error: { code: 'qr_taken', message: 'the qr login request was already decided' },
    }
    expect(await answer(await act(id, 'cancel', alice))).toEqual([409, decided])
    expect(await answer(await act(id, 'scan', alice))).toEqual([409, decided])
  })

  it('needs the live session of a phone to scan, confirm or cancel', async () => {
    const { id } = await asked()
    for (const action of ['scan', 'confirm', 'cancel']) {
      expect(await answer(await act(id, action))).toEqual([401, NOT_SIGNED_IN])
    }
    const computer = await phoneOf(ALICE, { device: 'computer' })
    expect(await answer(await getSession(computer))).toEqual([
      200,
      { user: ALICE, device: 'computer' },
    ])
    for (const action of ['scan', 'confirm', 'cancel']) {
      expect(await answer(await act(id, action, computer))).toEqual([
        401,
        {
          error: {
            code: 'not_signed_in',
            message: 'sign in on the phone to scan a qr login request',
          },
        },
      ])
    }
    const ended = await phoneOf(ALICE)
    await handleSession(
      new Request(`${BASE}/api/session`, { method: 'DELETE', headers: { cookie: ended } }),
      env,
    )
    expect(await answer(await act(id, 'scan', ended))).toEqual([401, NOT_SIGNED_IN])
  })

  it('answers qr_expired for an unknown or malformed id, and 404 for an unknown action', async () => {
    const phone = await phoneOf(ALICE)
    for (const id of ['A'.repeat(22), 'short', 'A'.repeat(21) + '.']) {
      expect(await answer(await act(id, 'scan', phone))).toEqual([410, EXPIRED])
    }
    const { id } = await asked()
    expect(await answer(await act(id, 'approve', phone))).toEqual([
      404,
      { error: { code: 'not_found', message: 'no such api endpoint' } },
    ])
    const get = await qr.handleQrLoginAction(
      new Request(`${BASE}/api/qr-login/${id}/scan`, { headers: { cookie: phone } }),
      env,
    )
    expect(get.status).toBe(405)
  })
})

describe('the binding', () => {
  it('reveals nothing without the cookie, or with another browser’s: the same 404', async () => {
    const phone = await phoneOf(ALICE)
    const mine = await asked()
    const theirs = await asked()
    expect(theirs.binding).not.toBe(mine.binding)
    await act(mine.id, 'scan', phone)
    await act(mine.id, 'confirm', phone)
    for (const cookie of [
      undefined,
      theirs.binding,
      '__Host-wx_qr=junk',
      'wx_qr=' + mine.binding.split('=')[1],
    ]) {
      const response = await poll(mine.id, cookie)
      expect(await answer(response)).toEqual([404, NOT_FOUND])
      expect(response.headers.get('set-cookie')).toBeNull()
    }
    for (const id of ['A'.repeat(22), 'nope', `${mine.id}x`]) {
      expect(await answer(await poll(id, mine.binding))).toEqual([404, NOT_FOUND])
    }
    // None of those used it up.
    expect(await answer(await poll(mine.id, mine.binding))).toEqual([
      200,
      { status: 'confirmed', user: ALICE },
    ])
  })

  it('answers 405 for POST', async () => {
    const { id, binding } = await asked()
    const response = await qr.handleQrLoginPoll(
      new Request(`${BASE}/api/qr-login/${id}`, { method: 'POST', headers: { cookie: binding } }),
      env,
    )
    expect(response.status).toBe(405)
  })
})

describe('expiry', () => {
  it('ends an undecided request after 120 s', async () => {
    const phone = await phoneOf(ALICE)
    const { id, binding } = await asked()
    clock += 120_000
    expect(await answer(await poll(id, binding))).toEqual([200, { status: 'waiting' }])
    clock += 1000
    expect(await answer(await poll(id, binding))).toEqual([200, { status: 'expired' }])
    expect(await answer(await act(id, 'scan', phone))).toEqual([410, EXPIRED])

    const scanned = await asked()
    await act(scanned.id, 'scan', phone)
    clock += 121_000
    expect(await answer(await poll(scanned.id, scanned.binding))).toEqual([
      200,
      { status: 'expired' },
    ])
    expect(await answer(await act(scanned.id, 'confirm', phone))).toEqual([410, EXPIRED])
    expect(await answer(await act(scanned.id, 'cancel', phone))).toEqual([410, EXPIRED])
  })

  it('lets a confirmed request be collected for 60 s past its expiry, not later', async () => {
    const phone = await phoneOf(ALICE)
    const late = await asked()
    const later = await asked()
    for (const { id } of [late, later]) {
      await act(id, 'scan', phone)
      await act(id, 'confirm', phone)
    }
    clock += 120_000 + 60_000
    const collected = await poll(late.id, late.binding)
    expect(await answer(collected)).toEqual([200, { status: 'confirmed', user: ALICE }])
    expect(collected.headers.get('set-cookie')).toMatch(/^__Host-wx_session=/)
    clock += 1000
    const missed = await poll(later.id, later.binding)
    expect(await answer(missed)).toEqual([200, { status: 'expired' }])
    expect(missed.headers.get('set-cookie')).toBeNull()
  })
})

describe('races between instances', () => {
  /** Handlers of a module graph of their own, as on another function instance. */
  async function instances(count: number) {
    const loaded: (typeof qr)[] = []
    for (let i = 0; i < count; i++) {
      vi.resetModules()
      loaded.push(await import('./qr-handlers.ts'))
    }
    return loaded
  }

  it('lets exactly one of two confirms, or of a confirm and a cancel, win', async () => {
    const [one, two] = await instances(2)
    for (let round = 0; round < 8; round++) {
      const phone = await phoneOf(ALICE)
      const { id, binding } = await asked()
      await act(id, 'scan', phone)
      const second = round % 2 === 0 ? 'confirm' : 'cancel'
      const answers = await Promise.all([
        act(id, 'confirm', phone, one).then(answer),
        act(id, second, phone, two).then(answer),
      ])
      const won = answers.filter(([status]) => status === 200)
      expect(won).toHaveLength(1)
      expect(answers.filter(([status]) => status !== 200)).toEqual([
        [409, { error: { code: 'qr_taken', message: 'the qr login request was already decided' } }],
      ])
      const status = (won[0]![1] as { status: string }).status
      expect((await poll(id, binding)).status).toBe(200)
      expect(['confirmed', 'cancelled']).toContain(status)
    }
  })

  it('gives the session to exactly one of two polls', async () => {
    const [one, two] = await instances(2)
    for (let round = 0; round < 8; round++) {
      const phone = await phoneOf(ALICE)
      const { id, binding } = await asked()
      await act(id, 'scan', phone)
      await act(id, 'confirm', phone)
      const polls = await Promise.all([poll(id, binding, one), poll(id, binding, two)])
      const bodies = await Promise.all(polls.map((response) => response.json()))
      expect(bodies.sort((a, b) => (a.status < b.status ? -1 : 1))).toEqual([
        { status: 'confirmed', user: ALICE },
        { status: 'expired' },
      ])
      expect(polls.filter((response) => response.headers.get('set-cookie'))).toHaveLength(1)
      const { computers: listed } = await (await computers(phone)).json()
      expect(
        listed.filter(
          (c: { signedInAt: string }) => c.signedInAt === new Date(nowS() * 1000).toISOString(),
        ),
      ).toHaveLength(1)
      clock += 1000
    }
  })
})

describe('computers', () => {
  it('lists the live ones, newest first', async () => {
    const first = await signedInComputer()
    clock += 60_000
    const second = await signedInComputer()
    await signedInComputer(BOB)
    const response = await computers(first.phone)
    expect(await answer(response)).toEqual([
      200,
      {
        computers: [second, first].map(({ sid }, i) => ({
          id: sid,
          browser: 'Chrome 131',
          os: 'Windows',
          ip: COMPUTER_IP,
          signedInAt: new Date((nowS() - i * 60) * 1000).toISOString(),
          expiresAt: new Date((nowS() - i * 60 + 7 * 24 * 3600) * 1000).toISOString(),
        })),
      },
    ])
    expect(await answer(await computers(second.cookie))).toEqual(
      await answer(await computers(first.phone)),
    )
    expect(await answer(await computers('__Host-wx_session=junk'))).toEqual([401, NOT_SIGNED_IN])
  })

  it("outlive the phone's sign-out, and end with 退出该设备", async () => {
    const { phone, cookie, sid } = await signedInComputer()
    const signOut = await handleSession(
      new Request(`${BASE}/api/session`, { method: 'DELETE', headers: { cookie: phone } }),
      env,
    )
    expect(signOut.status).toBe(204)
    expect(await answer(await getSession(cookie))).toEqual([
      200,
      { user: ALICE, device: 'computer' },
    ])

    const other = await phoneOf(ALICE)
    const bob = await phoneOf(BOB)
    const notFound = { error: { code: 'not_found', message: 'no such computer' } }
    expect(await answer(await computers(bob, 'DELETE', sid))).toEqual([404, notFound])
    expect(await answer(await computers(other, 'DELETE', 'A'.repeat(22)))).toEqual([404, notFound])
    expect(await answer(await computers(other, 'DELETE', 'bad'))).toEqual([404, notFound])
    expect(await answer(await getSession(cookie))).toEqual([
      200,
      { user: ALICE, device: 'computer' },
    ])

    const ended = await computers(other, 'DELETE', sid)
    expect([ended.status, await ended.text()]).toEqual([204, ''])
    expect(await answer(await getSession(cookie))).toEqual([401, NOT_SIGNED_IN])
    expect(await answer(await computers(other))).toEqual([200, { computers: [] }])
  })

  it('end with 退出所有设备 from the phone', async () => {
    const { phone, cookie } = await signedInComputer()
    clock += 1000
    const everywhere = await handleSessions(
      new Request(`${BASE}/api/sessions`, { method: 'DELETE', headers: { cookie: phone } }),
      env,
    )
    expect(everywhere.status).toBe(204)
    expect(await answer(await getSession(cookie))).toEqual([401, NOT_SIGNED_IN])
    clock += 1000
    expect(await answer(await computers(await phoneOf(ALICE)))).toEqual([200, { computers: [] }])
  })

  it('end 7 days after sign-in however active, and leave the list then', async () => {
    const { cookie } = await signedInComputer()
    const signedInAt = clock
    let current = cookie
    // Visited every 6 days: a phone's session would go on for 30 days.
    clock = signedInAt + 6 * 24 * 3600_000
    const rotated = await getSession(current)
    expect(rotated.status).toBe(200)
    current = cookieOf(rotated)
    expect(await openSession(current.split('=')[1], SECRETS, nowS())).toMatchObject({
      device: 'computer',
      authTime: Math.floor(signedInAt / 1000),
    })
    clock = signedInAt + 7 * 24 * 3600_000 - 1000
    expect((await getSession(current)).status).toBe(200)
    clock = signedInAt + 7 * 24 * 3600_000 + 1000
    expect(await answer(await getSession(current))).toEqual([401, NOT_SIGNED_IN])
    expect(await answer(await computers(await phoneOf(ALICE)))).toEqual([200, { computers: [] }])
  })

  it('answers 405 for a method the path does not take', async () => {
    const phone = await phoneOf(ALICE)
    expect((await computers(phone, 'DELETE')).status).toBe(405)
    expect((await computers(phone, 'GET', 'A'.repeat(22))).status).toBe(405)
    expect((await computers(phone, 'POST')).status).toBe(405)
  })
})
