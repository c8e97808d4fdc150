import {
  AxiosError,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'
import { http } from '@/api'

export interface RecordedRequest {
  method: string
  url: string
  body: unknown
}

type Reply = { status: number; body?: unknown } | 'network-error'

/**
 * Answers the app's requests from a table keyed by "METHOD /path" behind the real axios
 * instance (`@/api`), so everything above the network runs as shipped. Every request is
 * recorded in order, so tests see exactly what the SPA sends.
 */
export function fakeApi(table: Record<string, Reply>) {
  const requests: RecordedRequest[] = []
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const method = (config.method ?? 'get').toUpperCase()
    const url = `${config.baseURL ?? ''}${config.url ?? ''}`
    requests.push({
      method,
      url,
      body: config.data ? JSON.parse(config.data as string) : undefined,
    })
    const reply = table[`${method} ${url}`]
    if (!reply || reply === 'network-error') {
      throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config)
    }
    const response: AxiosResponse = {
      data: reply.body,
      status: reply.status,
      statusText: String(reply.status),
      headers: {},
      config,
    }
    if (reply.status >= 400) {
      throw new AxiosError('failed', AxiosError.ERR_BAD_RESPONSE, config, null, response)
    }
    return response
  }
  http.defaults.adapter = adapter
  return requests
}
