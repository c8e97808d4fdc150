/** The part of node-webot's wechat-oauth (CommonJS, untyped) that the bench uses. */
declare module 'wechat-oauth' {
  type Callback<T> = (error: Error | null, result?: T) => void

  export default class OAuth {
    constructor(
      appid: string,
      appsecret: string,
      getToken: (openid: string, callback: Callback<unknown>) => void,
      saveToken: (openid: string, token: unknown, callback: Callback<void>) => void,
    )
    getUserByCode(
      options: { code: string; lang?: string },
      callback: Callback<{ openid: string }>,
    ): void
    request(url: string, opts: unknown, callback: unknown): void
  }
}
