import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMULATOR_APPID } from '../emulator/defaults.ts'
import type { Emulator } from '../emulator/server.ts'
import { obtainCode, startEmulator } from '../emulator/test-support/index.ts'
import {
  handleNotFound,
  handleSession,
  handleSessionRefresh,
  handleSessions,
  handleWechatLogin,
  type HandlerEnv,
} from '../netlify/lib/handlers.ts'
import { startBlobs } from '../netlify/test-support/blobs.ts'
import { loginRequest } from '../netlify/test-support/login.ts'

/** Known values that must never leave the server: if one shows up, a secret leaked. */
const APPSECRET = 'CanaryAppSecret0000000000000001'
const SESSION_SECRET = 'CanarySessionSecret00000000000000000001'

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

describe('secret scan', () => {
  let outDir: string
  let emulator: Emulator
  let blobs: Awaited<ReturnType<typeof startBlobs>>

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'dist-'))
    const saved = { ...process.env }
    Object.assign(process.env, {
      WECHAT_APPID: EMULATOR_APPID,
      WECHAT_APPSECRET: APPSECRET,
      SESSION_SECRET,
    })
    try {
      await build({ logLevel: 'silent', build: { outDir, emptyOutDir: true } })
    } finally {
      process.env = saved
    }
    emulator = await startEmulator({ now: Date.now, appSecret: APPSECRET })
    blobs = await startBlobs()
  }, 60_000)

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true })
    await emulator.close()
    await blobs.close()
  })

  it('finds neither secret anywhere in the built site', async () => {
    const files = await filesUnder(outDir)
    expect(files.some((f) => f.endsWith('index.html'))).toBe(true)
    expect(files.some((f) => f.endsWith('.js'))).toBe(true)
    let appIdSeen = false
    for (const file of files) {
      const text = await readFile(file, 'latin1')
      expect(text.includes(APPSECRET), file).toBe(false)
      expect(text.includes(SESSION_SECRET), file).toBe(false)
      appIdSeen ||= text.includes(EMULATOR_APPID)
    }
    // The scan reads the real bundle: the public appid, built in the same way, is there.
    expect(appIdSeen).toBe(true)
  })

  it('finds neither secret nor a token in any function response', async () => {
    const env: HandlerEnv = {
      env: (name) =>
        ({
          WECHAT_APPID: EMULATOR_APPID,
          WECHAT_APPSECRET: APPSECRET,
          SESSION_SECRET,
          WECHAT_API_BASE: emulator.url,
        })[name],
      stores: blobs.stores,
    }
    const post = loginRequest
    const responses: Response[] = []
    const signedIn = await handleWechatLogin(post(await obtainCode(emulator)), env)
    expect(signedIn.status).toBe(200)
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    responses.push(signedIn)
    responses.push(await handleWechatLogin(post('A'.repeat(32)), env))
    emulator.addFault({ endpoint: 'access_token', errcode: 40125 })
    responses.push(await handleWechatLogin(post(await obtainCode(emulator)), env))
    emulator.addFault({ endpoint: 'userinfo', body: `{"secret":"${APPSECRET}"` })
    responses.push(await handleWechatLogin(post(await obtainCode(emulator)), env))
    responses.push(
      await handleSession(
        new Request('https://app.example/api/session', { headers: { cookie } }),
        env,
      ),
    )
    responses.push(
      await handleSessionRefresh(
        new Request('https://app.example/api/session/refresh', {
          method: 'POST',
          headers: { cookie },
        }),
        env,
      ),
    )
    const other = (await handleWechatLogin(post(await obtainCode(emulator)), env)).headers
    const otherCookie = (other.get('set-cookie') ?? '').split(';')[0] ?? ''
    responses.push(
      await handleSession(
        new Request('https://app.example/api/session', { method: 'DELETE', headers: { cookie } }),
        env,
      ),
    )
    responses.push(
      await handleSessions(
        new Request('https://app.example/api/sessions', {
          method: 'DELETE',
          headers: { cookie: otherCookie },
        }),
        env,
      ),
    )
    responses.push(await handleNotFound(env))
    expect(responses.map((r) => r.status)).toEqual([200, 400, 500, 502, 200, 200, 204, 204, 404])
    for (const response of responses) {
      const text = `${[...response.headers].join('\n')}\n${await response.text()}`
      expect(text).not.toContain(APPSECRET)
      expect(text).not.toContain(SESSION_SECRET)
      expect(text).not.toMatch(/83_[\w-]{20}/)
    }
  })
})
