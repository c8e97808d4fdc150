import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { getStore } from '@netlify/blobs'
import API, { type JsConfig } from 'wechat-api'
import { handleJssdkConfig } from '../netlify/lib/jssdk.ts'
import { blobStores, type BlobsLocation } from '../netlify/lib/stores.ts'

/**
 * One server instance answering `POST /api/wechat/jssdk-config`. In a worker thread (see
 * `startInstance` in jssdk.ts) it has its own copy of every module, so its own memory, as a
 * Netlify Function instance does; the store and WeChat are shared.
 */
export const SIDES = ['ours', 'wechat-api'] as const
export type Side = (typeof SIDES)[number]

export type Sign = (request: Request) => Promise<Response>

export interface InstanceData {
  side: Side
  vars: Record<string, string>
  location: BlobsLocation
}

/** What a worker is sent once every instance is ready, and answers. */
export interface Call {
  url: string
  body: string
}
export interface Batch {
  calls: Call[]
  concurrency: number
}
export interface Answer {
  status: number
  body: Record<string, unknown>
  ms: number
}

function ours({ vars, location }: InstanceData): Sign {
  const stores = blobStores(location)
  let n = 0
  return (request) =>
    handleJssdkConfig(request, { env: (name) => vars[name], stores, requestId: `req-${n++}` })
}

type Callback<T> = (error: Error | null, result?: T) => void

/**
 * node-webot's wechat-api as its README asks for more than one process: the access_token
 * (`getToken`/`saveToken`) and the jsapi_ticket (`registerTicketHandle`) kept in a shared
 * store, here a Netlify Blobs store on the same server as ours. Its `endpoint` is the
 * emulator; nothing else is changed. The handler around `getJsConfig` signs the URL without
 * its `#fragment`, as WeChat requires and the library leaves to its caller.
 */
function wechatApi({ vars, location }: InstanceData): Sign {
  const store = getStore({ ...location, name: 'wechat-api', consistency: 'strong' })
  const get = (key: string, callback: Callback<unknown>) =>
    store.get(key, { type: 'json' }).then((value) => callback(null, value), callback)
  const save = (key: string, value: unknown, callback: Callback<void>) =>
    store.setJSON(key, value).then(() => callback(null), callback)
  const api = new API(
    vars.WECHAT_APPID!,
    vars.WECHAT_APPSECRET!,
    (callback) => get('token', callback),
    (token, callback) => save('token', token, callback),
  )
  api.registerTicketHandle(
    (type, callback) => get(`ticket-${type}`, callback),
    (type, ticket, callback) => save(`ticket-${type}`, ticket, callback),
  )
  api.endpoint = vars.WECHAT_API_BASE!
  return async (request) => {
    const { url } = (await request.json()) as { url: string }
    const config = await new Promise<JsConfig>((resolve, reject) =>
      api.getJsConfig({ url: url.split('#', 1)[0]! }, (error, result) =>
        error || !result ? reject(error ?? new Error('no config')) : resolve(result),
      ),
    )
    return Response.json(config)
  }
}

export const signer = (data: InstanceData): Sign =>
  data.side === 'ours' ? ours(data) : wechatApi(data)

/** Sends `calls`, `concurrency` at a time, new ones until `ms` pass; every answer, timed. */
export async function send(
  sign: Sign,
  calls: readonly Call[],
  concurrency: number,
  ms = Infinity,
): Promise<Answer[]> {
  const answers: Answer[] = []
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < calls.length && performance.now() < started + ms) {
      const { url, body } = calls[next++]!
      const t = performance.now()
      let status = 0
      let answer: Record<string, unknown> = {}
      try {
        const response = await sign(
          new Request(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body,
          }),
        )
        status = response.status
        answer = (await response.json()) as Record<string, unknown>
      } catch (error) {
        answer = { error: String(error) }
      }
      answers.push({ status, body: answer, ms: performance.now() - t })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return answers
}

if (!isMainThread && parentPort) {
  const port = parentPort
  const sign = signer(workerData as InstanceData)
  port.once('message', (batch: Batch) => {
    void send(sign, batch.calls, batch.concurrency).then((answers) => port.postMessage(answers))
  })
  port.postMessage('ready')
}
