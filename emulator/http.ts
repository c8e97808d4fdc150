import type { IncomingMessage, ServerResponse } from 'node:http'

/** Request bodies beyond this get 413: nothing the emulator accepts comes close. */
export const BODY_LIMIT_BYTES = 16 * 1024

export type BodyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'too-large' | 'aborted' }

/**
 * Reads a request body up to `BODY_LIMIT_BYTES`. Past the limit the rest is drained and
 * dropped rather than buffered.
 *
 * @see https://nodejs.org/docs/latest-v20.x/api/http.html#class-httpincomingmessage
 */
export function readBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    let settled = false
    const settle = (result: BodyResult) => {
      if (settled) return
      settled = true
      resolve(result)
    }
    if (Number(req.headers['content-length']) > BODY_LIMIT_BYTES) {
      req.resume()
      settle({ ok: false, reason: 'too-large' })
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > BODY_LIMIT_BYTES) settle({ ok: false, reason: 'too-large' })
      else chunks.push(chunk)
    })
    req.on('end', () => settle({ ok: true, text: Buffer.concat(chunks).toString('utf8') }))
    req.on('error', () => settle({ ok: false, reason: 'aborted' }))
    // 'close' follows 'end' on a complete body, so reaching it unsettled means the client left.
    req.on('close', () => settle({ ok: false, reason: 'aborted' }))
  })
}

/**
 * The path and the raw query of a request target; a stray `#…` is dropped as browsers do.
 * Split by hand: `new URL()` would read a target starting with `//` as a host.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#name-request-target
 */
export function splitTarget(target: string): { path: string; rawQuery: string } {
  const hashAt = target.indexOf('#')
  const withoutHash = hashAt === -1 ? target : target.slice(0, hashAt)
  const queryAt = withoutHash.indexOf('?')
  if (queryAt === -1) return { path: withoutHash, rawQuery: '' }
  return { path: withoutHash.slice(0, queryAt), rawQuery: withoutHash.slice(queryAt + 1) }
}

/**
 * Whether the request carries `name=value` among its cookies.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.4
 */
export function hasCookie(req: IncomingMessage, name: string, value: string): boolean {
  const header = req.headers.cookie ?? ''
  return header.split(';').some((cookie) => cookie.trim() === `${name}=${value}`)
}

/**
 * Answers with a complete body and its length.
 *
 * @see https://nodejs.org/docs/latest-v20.x/api/http.html#responsewriteheadstatuscode-statusmessage-headers
 */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  })
  res.end(body)
}

/**
 * Answers JSON, as the control API and the consent endpoint do.
 *
 * @see send
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers)
}

/**
 * Answers an HTML page. Pages are never cached: each load of the authorize page is a new
 * request, as the desktop cookie's reload relies on.
 *
 * @see send
 */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  send(res, status, 'text/html; charset=utf-8', html, { 'Cache-Control': 'no-store' })
}

/**
 * The answer to a body over the limit; the connection is closed since the rest is unread.
 *
 * @see readBody
 */
export function sendTooLarge(res: ServerResponse): void {
  sendJson(res, 413, { error: 'request body too large' }, { Connection: 'close' })
}
