/**
 * A `fetch` for Blobs clients that sends conditional writes (`onlyIfNew`, `onlyIfMatch`) to the
 * same URL one at a time. Netlify Blobs applies the condition and the write atomically; the
 * local BlobsServer checks, then writes, in separate steps, so two racing writes could both
 * land. Serializing them here lets tests of "the first writer wins" run against it.
 */
export function atomicConditionalWrites(
  fetch: typeof globalThis.fetch = globalThis.fetch,
): typeof globalThis.fetch {
  const queues = new Map<string, Promise<unknown>>()
  return (input, init) => {
    const headers = new Headers(init?.headers)
    const conditional = headers.has('if-none-match') || headers.has('if-match')
    if (init?.method?.toUpperCase() !== 'PUT' || !conditional) return fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    const written = (queues.get(url) ?? Promise.resolve()).then(() => fetch(input, init))
    queues.set(
      url,
      written.catch(() => undefined),
    )
    return written
  }
}
