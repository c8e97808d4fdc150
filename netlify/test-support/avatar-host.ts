import { createServer, type OutgoingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A 1×1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

/** What the host answers to one path: a status, headers and a body. */
export interface AvatarAnswer {
  status?: number
  headers?: OutgoingHttpHeaders
  body?: Buffer | string
  /** Answers this late, in ms. */
  delayMs?: number
}

/**
 * A local stand-in for WeChat's avatar host, reached through WECHAT_AVATAR_ORIGIN: every
 * `/mmopen/…` path answers a PNG unless told otherwise; every request is recorded.
 */
export async function startAvatarHost() {
  const requests: string[] = []
  const answers = new Map<string, AvatarAnswer>()
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    requests.push(`${req.method} ${path}`)
    const answer: AvatarAnswer =
      answers.get(path) ??
      (path.startsWith('/mmopen/')
        ? { headers: { 'Content-Type': 'image/png' }, body: PNG }
        : { status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'Not Found' })
    setTimeout(() => {
      res.writeHead(answer.status ?? 200, answer.headers)
      res.end(answer.body)
    }, answer.delayMs ?? 0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Answers `path` (with its query) so from now on. */
    answer(path: string, answer: AvatarAnswer) {
      answers.set(path, answer)
    },
    /** The user changed avatar: the old URL's path answers 404, as WeChat's do. */
    retire(path: string) {
      answers.set(path, { status: 404, headers: { 'Content-Type': 'text/plain' }, body: '' })
    },
    reset() {
      requests.length = 0
      answers.clear()
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

export type AvatarHost = Awaited<ReturnType<typeof startAvatarHost>>
