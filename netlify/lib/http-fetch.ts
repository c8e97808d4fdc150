import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

/**
 * Connections kept open between calls, as undici keeps them for `fetch`: a sign-in makes
 * its WeChat calls and Blobs calls back to back. An idle one is closed after 4 s, undici's
 * keep-alive default, so one the other side has dropped in the meantime is rarely reused.
 */
const AGENT_OPTIONS = { keepAlive: true, timeout: 4000 }
const agents = { 'http:': new HttpAgent(AGENT_OPTIONS), 'https:': new HttpsAgent(AGENT_OPTIONS) }

/** Statuses whose answers have no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/** The `init` members this path handles; any other goes to the global fetch. */
const HANDLED_INIT = new Set(['method', 'headers', 'body', 'signal'])

type Body = string | ArrayBuffer | ArrayBufferView

function isHandledBody(body: unknown): body is Body | null | undefined {
  return (
    body == null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  )
}

function toBuffer(body: Body): Buffer {
  if (typeof body === 'string') return Buffer.from(body)
  if (body instanceof ArrayBuffer) return Buffer.from(body)
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}

/** Request headers as node:http takes them, from any form `fetch` accepts. */
function headerObject(headers: HeadersInit | undefined): Record<string, string> {
  const pairs: Iterable<[string, string]> =
    headers instanceof Headers || Array.isArray(headers)
      ? (headers as Iterable<[string, string]>)
      : Object.entries(headers ?? {})
  const result: Record<string, string> = {}
  for (const [name, value] of pairs) {
    const key = name.toLowerCase()
    result[key] = key in result ? `${result[key]}, ${value}` : String(value)
  }
  return result
}

function toResponse(message: IncomingMessage, body: Uint8Array<ArrayBuffer> | null): Response {
  const headers = new Headers()
  const raw = message.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return new Response(body, {
    status: message.statusCode,
    statusText: message.statusMessage,
    headers,
  })
}

/**
 * `fetch` for the functions' own calls to WeChat and to Netlify Blobs, over node:http(s)
 * with keep-alive: the same requests and answers, for some 0.1 ms of CPU per call where
 * undici's `fetch` spends 0.2–0.4 ms (its WHATWG streams and request objects), and a sign-in
 * makes several. It covers what those calls use: a URL, a method, headers, a string or bytes
 * body, an abort signal; the answer is buffered whole (they are small JSON). Anything else
 * (a Request, a streamed body, redirect or cache options, a scheme other than http(s)) goes
 * to the global `fetch`. Redirects are not followed: neither WeChat's API nor Blobs sends one,
 * and a 3xx reaches the caller as the non-200 it is.
 * Failures reject as `fetch` does: the signal's reason when aborted, else a TypeError with
 * the cause.
 */
export const httpFetch: typeof fetch = (input, init) => {
  const handled =
    (typeof input === 'string' || input instanceof URL) &&
    (init === undefined ||
      (Object.keys(init).every((key) => HANDLED_INIT.has(key)) && isHandledBody(init.body)))
  const url = handled ? new URL(input) : null
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return fetch(input, init)
  }
  const signal = init?.signal ?? undefined
  const body = init?.body == null ? null : toBuffer(init.body as Body)
  const method = (init?.method ?? 'GET').toUpperCase()
  const headers = headerObject(init?.headers)
  if (body) headers['content-length'] = String(body.byteLength)
  const https = url.protocol === 'https:'
  const send = (retried: boolean) =>
    new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const outgoing = (https ? httpsRequest : httpRequest)(
        url,
        { method, headers, agent: https ? agents['https:'] : agents['http:'] },
        (message) => {
          const chunks: Buffer[] = []
          message.on('data', (chunk: Buffer) => chunks.push(chunk))
          message.on('error', fail)
          message.on('end', () => {
            signal?.removeEventListener('abort', abort)
            const empty = method === 'HEAD' || NULL_BODY_STATUSES.has(message.statusCode ?? 0)
            try {
              const bytes = Buffer.concat(chunks)
              resolve(
                toResponse(
                  message,
                  empty
                    ? null
                    : (new Uint8Array(
                        bytes.buffer,
                        bytes.byteOffset,
                        bytes.byteLength,
                      ) as Uint8Array<ArrayBuffer>),
                ),
              )
            } catch (error) {
              fail(error)
            }
          })
        },
      )
      function fail(cause: unknown) {
        signal?.removeEventListener('abort', abort)
        // A kept-alive connection the other side closed while idle (a function instance
        // frozen between invocations finds many): a read is sent once more, on a new one.
        // Not a write: it may have landed before the reset, and a conditional write
        // replayed would count a sign-in twice.
        const stale =
          outgoing.reusedSocket &&
          (cause as NodeJS.ErrnoException).code === 'ECONNRESET' &&
          (method === 'GET' || method === 'HEAD')
        if (stale && !retried && !signal?.aborted) resolve(send(true))
        else reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause }))
      }
      function abort() {
        outgoing.destroy(signal!.reason instanceof Error ? signal!.reason : undefined)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', abort, { once: true })
      outgoing.on('error', fail)
      outgoing.end(body ?? undefined)
    })
  return send(false)
}
