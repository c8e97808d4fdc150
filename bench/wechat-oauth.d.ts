/** The part of node-webot's wechat-oauth (CommonJS, untyped) that the bench uses. */
declare module 'wechat-oauth' {
  type Callback<T> = (error: Error | null, result: T) => void

  export default class OAuth {
    constructor(appid: string, appsecret: string)
    getAccessToken(code: string, callback: Callback<{ data: { openid: string } }>): void
    getUser(options: { openid: string; lang?: string }, callback: Callback<unknown>): void
    request(url: string, opts: unknown, callback: unknown): void
  }
}
