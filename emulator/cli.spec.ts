import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { settingsFromEnv } from './cli'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

describe('settingsFromEnv', () => {
  it('defaults to 127.0.0.1:8899, localhost and desktop browsers allowed', () => {
    expect(settingsFromEnv({})).toEqual({
      host: '127.0.0.1',
      port: 8899,
      domain: 'localhost',
      allowDesktop: true,
    })
  })

  it('reads every variable', () => {
    const env = {
      EMULATOR_HOST: '0.0.0.0',
      EMULATOR_PORT: '0',
      EMULATOR_DOMAIN: 'h5.example.com',
      EMULATOR_ALLOW_DESKTOP: '0',
    }

    expect(settingsFromEnv(env)).toEqual({
      host: '0.0.0.0',
      port: 0,
      domain: 'h5.example.com',
      allowDesktop: false,
    })
    expect(settingsFromEnv({ EMULATOR_ALLOW_DESKTOP: 'false' }).allowDesktop).toBe(false)
    expect(settingsFromEnv({ EMULATOR_ALLOW_DESKTOP: 'true' }).allowDesktop).toBe(true)
  })

  it('refuses a port that is not one', () => {
    expect(() => settingsFromEnv({ EMULATOR_PORT: 'http' })).toThrow(
      'EMULATOR_PORT must be a port number, not "http"',
    )
    expect(() => settingsFromEnv({ EMULATOR_PORT: '70000' })).toThrow(/EMULATOR_PORT/)
  })
})

function run(args: string[], env: Record<string, string>) {
  const child = spawn(TSX, args, { cwd: ROOT, env: { ...process.env, ...env } })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => output }
}

describe('npm run emulator', () => {
  it('prints what an app needs, serves, and stops cleanly on SIGTERM', async () => {
    const cli = run(['emulator/cli.ts'], { EMULATOR_PORT: '0', EMULATOR_DOMAIN: 'h5.example.com' })
    for (let i = 0; i < 200 && !cli.output().includes('GET    /__emulator/health'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1] ?? ''

    const health = await fetch(`${url}/__emulator/health`)
    cli.child.kill('SIGTERM')

    expect(await health.json()).toEqual({ ok: true })
    expect(await cli.exited).toBe(0)
    const output = cli.output()
    expect(output).toContain(`WECHAT_OAUTH_URL   ${url}/connect/oauth2/authorize`)
    expect(output).toContain(`WECHAT_API_BASE    ${url}`)
    expect(output).toContain('appid              wxd0e1a2b3c4f5e6d7')
    expect(output).toContain('secret             5e7a1f00c0ffee00d0e1a2b3c4f5e6d7')
    expect(output).toContain('redirect domain    h5.example.com')
    expect(output).toContain('微信用户小明')
    expect(output).toContain('POST   /__emulator/faults')
    expect(output).toContain('POST   /cgi-bin/stable_token')
    expect(output).toContain('GET    /cgi-bin/token')
    expect(output).toContain('GET    /cgi-bin/ticket/getticket      ?access_token=…&type=jsapi')
    expect(output).toContain('GET    /__emulator/counts')
    expect(output).toContain('GET    /__emulator/tickets')
    expect(output).toContain('POST   /__emulator/expire-token')
    expect(output).toContain('POST   /__emulator/users/{id}/avatar')
    expect(output).toContain('{"testAccount":true}')
    expect(output).toContain('not-following')
    expect(output).toContain('SIGTERM: stopping')
  }, 20_000)

  it('starts nothing when imported', async () => {
    const script = "import('./emulator/cli.ts').then(() => console.log('imported'))"
    const cli = run(['--eval', script], { EMULATOR_PORT: '0' })

    expect(await cli.exited).toBe(0)
    expect(cli.output().trim()).toBe('imported')
  }, 20_000)
})
