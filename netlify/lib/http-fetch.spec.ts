import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { httpFetch } from './http-fetch.ts'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  socket: number
}

let server: Server
let base: string
let seen: Seen[]
/** Each connection gets a number, so a test can tell a kept-alive one from a new one. */
let connections = 0
/** The next request's connection is reset instead of answered. */
let dropNext = false

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const socket = (req.socket as unknown as { number: number }).number
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        socket,
      })
      const path = (req.url ?? '').split('?')[0]
      if (dropNext) {
        // As a server does with a connection it has closed while idle.
        dropNext = false
        return req.socket.destroy()
      }
      if (path === '/hang') return
      if (path === '/none') return res.writeHead(204).end()
      if (path === '/refused') return res.writeHead(412).end()
      res.setHeader('Content-Type', 'text/plain')
      res.setHeader('ETag', '"v1"')
      res.setHeader('Set-Cookie', ['a=1', 'b=2'])
      res.end('{"errcode":0,"errmsg":"ok","nickname":"微信用户"}')
    })
  })
  server.on('connection', (socket) => {
    ;(socket as unknown as { number: number }).number = ++connections
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  seen = []
})

describe('httpFetch', () => {
  it('answers a GET as fetch does: status, headers, body', async () => {
    const url = `${base}/sns/userinfo?access_token=83_x&openid=o1&lang=zh_CN`
    const [ours, theirs] = [await httpFetch(url), await fetch(url)]
    for (const response of [ours, theirs]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('etag')).toBe('"v1"')
      expect(response.headers.get('content-type')).toBe('text/plain')
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    }
    expect(await ours.text()).toBe(await theirs.text())
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', '/sns/userinfo?access_token=83_x&openid=o1&lang=zh_CN'],
      ['GET', '/sns/userinfo?access_token=83_x&openid=o1&lang=zh_CN'],
    ])
  })

  it.each([
    ['an object', { authorization: 'Bearer t', 'if-match': '"v1"' }],
    ['Headers', new Headers({ Authorization: 'Bearer t', 'If-Match': '"v1"' })],
    [
      'pairs',
      [
        ['Authorization', 'Bearer t'],
        ['If-Match', '"v1"'],
      ] as [string, string][],
    ],
  ] as [string, HeadersInit][])(
    'sends a PUT with headers given as %s and a string body',
    async (_form, headers) => {
      const response = await httpFetch(`${base}/refused`, {
        method: 'put',
        headers,
        body: '{"n":"小明"}',
      })
      expect(response.status).toBe(412)
      expect(await response.text()).toBe('')
      const [request] = seen
      expect(request?.method).toBe('PUT')
      expect(request?.body).toBe('{"n":"小明"}')
      expect(request?.headers['content-length']).toBe(String(Buffer.byteLength('{"n":"小明"}')))
      expect(request?.headers.authorization).toBe('Bearer t')
      expect(request?.headers['if-match']).toBe('"v1"')
    },
  )

  it('sends bytes, and answers a 204 and a HEAD without a body', async () => {
    const bytes = new TextEncoder().encode('bytes')
    await httpFetch(`${base}/`, { method: 'PUT', body: bytes })
    await httpFetch(`${base}/`, { method: 'PUT', body: bytes.buffer })
    expect(seen.map((s) => s.body)).toEqual(['bytes', 'bytes'])
    const none = await httpFetch(`${base}/none`, { method: 'DELETE' })
    expect([none.status, none.body]).toEqual([204, null])
    const head = await httpFetch(`${base}/`, { method: 'HEAD' })
    expect([head.status, head.headers.get('etag'), head.body]).toEqual([200, '"v1"', null])
  })

  it('keeps the connection for the next call', async () => {
    await (await httpFetch(`${base}/a`)).text()
    await (await httpFetch(`${base}/b`)).text()
    expect(seen[1]?.socket).toBe(seen[0]?.socket)
  })

  it('sends a read once more, on a new connection, when a kept-alive one is reset', async () => {
    await (await httpFetch(`${base}/a`)).text()
    dropNext = true
    const answer = await httpFetch(`${base}/sns/userinfo`)
    expect(answer.status).toBe(200)
    expect(seen.map((s) => s.url)).toEqual(['/a', '/sns/userinfo', '/sns/userinfo'])
    expect(seen[1]?.socket).toBe(seen[0]?.socket)
    expect(seen[2]?.socket).not.toBe(seen[0]?.socket)
  })

  it('never sends a write twice: it may have landed before the reset', async () => {
    await (await httpFetch(`${base}/a`)).text()
    dropNext = true
    const answer = httpFetch(`${base}/users/o1`, { method: 'PUT', body: '{"signInCount":2}' })
    await expect(answer).rejects.toMatchObject({
      name: 'TypeError',
      cause: { code: 'ECONNRESET' },
    })
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /a', 'PUT /users/o1'])
  })

  it('rejects with the signal’s reason when aborted, and closes the request', async () => {
    const controller = new AbortController()
    const answer = httpFetch(`${base}/hang`, { signal: controller.signal })
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    controller.abort(new DOMException('timed out', 'TimeoutError'))
    await expect(answer).rejects.toMatchObject({ name: 'TimeoutError' })
    const already = httpFetch(`${base}/`, { signal: AbortSignal.abort() })
    await expect(already).rejects.toMatchObject({ name: 'AbortError' })
    expect(seen).toHaveLength(1)
  })

  it('rejects with a TypeError when the connection fails, as fetch does', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const error = await httpFetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect((error as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('leaves what it does not handle to the global fetch', async () => {
    const global = vi.spyOn(globalThis, 'fetch')
    try {
      await httpFetch(new Request(`${base}/request`))
      await httpFetch(`${base}/redirect`, { redirect: 'manual' })
      await httpFetch(`${base}/stream`, {
        method: 'PUT',
        body: new Blob(['blob']),
      })
      expect(global).toHaveBeenCalledTimes(3)
      expect(seen.map((s) => s.url)).toEqual(['/request', '/redirect', '/stream'])
      expect(seen[2]?.body).toBe('blob')
      global.mockClear()
      await httpFetch(`${base}/plain`, { method: 'GET', headers: {} })
      expect(global).not.toHaveBeenCalled()
    } finally {
      global.mockRestore()
    }
  })
})
