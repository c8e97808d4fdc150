/** A call as the fake WeChat received it. */
export interface FakeCall {
  method: string
  /** The path and query, exactly as sent. */
  path: string
  body: string
}

/** An answer: a WeChat JSON body (object), or a function of the call giving one. */
export type FakeAnswer = Record<string, unknown> | ((call: FakeCall) => Record<string, unknown>)

/**
 * WeChat's `/cgi-bin` API as an injectable fetch, for unit tests: each path answers from its
 * queue, then its default. Every call is recorded.
 */
export function fakeWechat(defaults: Record<string, FakeAnswer> = {}) {
  const calls: FakeCall[] = []
  const queues = new Map<string, FakeAnswer[]>()
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input))
    const call: FakeCall = {
      method: init?.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      body: typeof init?.body === 'string' ? init.body : '',
    }
    calls.push(call)
    const answer = queues.get(url.pathname)?.shift() ?? defaults[url.pathname]
    if (!answer) return new Response('not found', { status: 404 })
    const body = typeof answer === 'function' ? answer(call) : answer
    return new Response(JSON.stringify(body), { headers: { 'Content-Type': 'text/plain' } })
  }
  return {
    fetch,
    calls,
    /** The next answers of `path`, before its default. */
    next(path: string, ...answers: FakeAnswer[]) {
      queues.set(path, [...(queues.get(path) ?? []), ...answers])
    },
    /** The paths called, without queries. */
    paths: () => calls.map((call) => call.path.split('?')[0]!),
  }
}
