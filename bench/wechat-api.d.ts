/** The part of node-webot's wechat-api (CommonJS, untyped) that the bench uses. */
declare module 'wechat-api' {
  type Callback<T> = (error: Error | null, result?: T) => void

  export interface JsConfig {
    appId: string
    timestamp: string
    nonceStr: string
    signature: string
  }

  export default class API {
    constructor(
      appid: string,
      appsecret: string,
      getToken: (callback: Callback<unknown>) => void,
      saveToken: (token: unknown, callback: Callback<void>) => void,
    )
    /** `https://api.weixin.qq.com`; every call's URL starts with it. */
    endpoint: string
    registerTicketHandle(
      getTicketToken: (type: string, callback: Callback<unknown>) => void,
      saveTicketToken: (type: string, ticket: unknown, callback: Callback<void>) => void,
    ): void
    getJsConfig(param: { url: string; jsApiList?: string[] }, callback: Callback<JsConfig>): void
  }
}
