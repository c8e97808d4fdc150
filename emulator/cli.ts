import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { EMULATOR_DOMAIN, EMULATOR_HOST, EMULATOR_PORT } from './defaults'
import { createEmulator, type Emulator } from './server'
import { TEST_USERS } from './users'

/** The emulator's settings from the environment, as `npm run emulator` reads them. */
export interface CliSettings {
  readonly host: string
  readonly port: number
  readonly domain: string
  readonly allowDesktop: boolean
}

/**
 * Reads `EMULATOR_HOST`, `EMULATOR_PORT`, `EMULATOR_DOMAIN` and `EMULATOR_ALLOW_DESKTOP`.
 * The desktop escape hatch is on by default here: the CLI is for people with a desktop browser.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): CliSettings {
  const port = Number(env.EMULATOR_PORT ?? EMULATOR_PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`EMULATOR_PORT must be a port number, not "${env.EMULATOR_PORT}"`)
  }
  const allowDesktop = (env.EMULATOR_ALLOW_DESKTOP ?? '1').trim().toLowerCase()
  return {
    host: env.EMULATOR_HOST || EMULATOR_HOST,
    port,
    domain: env.EMULATOR_DOMAIN || EMULATOR_DOMAIN,
    allowDesktop: !['0', 'false', 'no', 'off', ''].includes(allowDesktop),
  }
}

/** What the CLI prints on start: everything needed to point an app at the emulator. */
export function banner(emulator: Emulator, settings: CliSettings): string {
  const redirect = encodeURIComponent(`http://${settings.domain}:8888/`)
  const example =
    `${emulator.url}/connect/oauth2/authorize?appid=${emulator.appId}` +
    `&redirect_uri=${redirect}&response_type=code&scope=snsapi_userinfo&state=STATE#wechat_redirect`
  const users = TEST_USERS.map(
    (user) => `  ${user.id.padEnd(13)} ${user.nickname}\n${' '.repeat(16)}${user.purpose}`,
  )
  return [
    `WeChat emulator listening on ${emulator.url}`,
    '',
    `  WECHAT_OAUTH_URL   ${emulator.url}/connect/oauth2/authorize`,
    `  WECHAT_API_BASE    ${emulator.url}`,
    `  appid              ${emulator.appId}`,
    `  secret             ${emulator.appSecret}`,
    `  redirect domain    ${settings.domain} (redirect_uri's host must be exactly this)`,
    `  desktop browsers   ${settings.allowDesktop ? 'allowed through 「继续（仅限开发环境）」' : 'refused'}`,
    '',
    `  example: ${example}`,
    '',
    "API (api.weixin.qq.com: set a WeChat library's API base to WECHAT_API_BASE):",
    '  GET    /sns/oauth2/access_token, /sns/oauth2/refresh_token, /sns/userinfo, /sns/auth',
    '  POST   /cgi-bin/stable_token          {"grant_type":"client_credential","appid":"…","secret":"…","force_refresh":false}',
    '  GET    /cgi-bin/token                 ?grant_type=client_credential&appid=…&secret=…',
    '  GET    /cgi-bin/ticket/getticket      ?access_token=…&type=jsapi',
    '',
    'Test users (preselect with POST /__emulator/next-user):',
    ...users,
    '',
    'Control API:',
    '  POST   /__emulator/reset         back to the start',
    '  GET    /__emulator/users         the test users',
    '  POST   /__emulator/next-user     {"user":"emoji"}',
    '  POST   /__emulator/faults        {"endpoint":"access_token","errcode":-1,"times":1}',
    '  DELETE /__emulator/faults        clear injected faults',
    '  POST   /__emulator/config        {"requireWechatUa":false,"codeTtlMs":1000,...}',
    '                                   {"ipWhitelist":["127.0.0.1"],"frozenSecret":true,"tokenDailyQuota":200}',
    '                                   {"testAccount":true} 测试号: non-followers get 10006',
    '                                   {"baseUnionid":true} snsapi_base answers unionid after consent',
    '  POST   /__emulator/clock         {"advanceMs":300000} (consent is remembered 30 days)',
    '  POST   /__emulator/users/{id}/avatar  a new avatar URL; the old one answers 404',
    '  DELETE /__emulator/consents      forget every remembered snsapi_userinfo consent',
    '  GET    /__emulator/log           the calls so far',
    '  GET    /__emulator/counts        calls per endpoint',
    '  GET    /__emulator/tickets       the valid jsapi_tickets',
    '  POST   /__emulator/expire-token  expire the global access tokens',
    '  GET    /__emulator/health        {"ok":true}',
    '',
  ].join('\n')
}

/** Starts the emulator from the environment and stops it on SIGINT or SIGTERM. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<Emulator> {
  const settings = settingsFromEnv(env)
  const emulator = await createEmulator(settings)
  console.log(banner(emulator, settings))
  const stop = (signal: NodeJS.Signals) => {
    console.log(`[wechat-emulator] ${signal}: stopping`)
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return emulator
}

function runDirectly(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (runDirectly()) {
  main().catch((error: unknown) => {
    console.error(`[wechat-emulator] ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}
