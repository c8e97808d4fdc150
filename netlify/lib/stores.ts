import { getStore, type GetStoreOptions, type Store } from '@netlify/blobs'

/**
 * `users`: a record per user, tokens included (users.ts); `sessions`: ended sessions
 * (revocations.ts), apart so that the per-request check lists revocations and nothing else;
 * `account`: the Official Account's global access_token and jsapi_ticket, one for the whole
 * site (account-token.ts); `qr-logins`: computers' sign-in requests (qr-login.ts); `computers`:
 * the computers signed in through a phone (computers.ts); `avatars`: this site's copies of
 * WeChat avatar images, one per URL (avatars.ts).
 */
export type StoreName = 'users' | 'sessions' | 'account' | 'qr-logins' | 'computers' | 'avatars'
export type StoreFactory = (name: StoreName) => Store

/** Where the stores are: from the context Netlify gives functions unless given here. */
export type BlobsLocation = Pick<
  GetStoreOptions,
  'siteID' | 'token' | 'apiURL' | 'edgeURL' | 'uncachedEdgeURL'
>

export interface BlobsOptions extends BlobsLocation {
  /** The platform's `fetch` when absent, read each time a store is opened. */
  fetch?: typeof fetch
}

/**
 * `fetch`, with a 5xx answer to a PUT thrown: @netlify/blobs reports a conditional write that
 * still fails after its retries as landed (`modified: true`), where an unconditional one throws.
 */
function failingWrites(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    if (init?.method?.toUpperCase() === 'PUT' && response.status >= 500) {
      throw new Error(`Blobs answered ${response.status} to a write`)
    }
    return response
  }
}

/**
 * Blobs stores as the functions reach them. Strong consistency: a refresh must see the tokens
 * as soon as the sign-in's write has landed (it lands after the answer, see
 * `HandlerEnv.waitUntil`).
 */
export function blobStores({ fetch, ...location }: BlobsOptions = {}): StoreFactory {
  return (name) =>
    getStore({
      ...location,
      name,
      consistency: 'strong',
      fetch: failingWrites(fetch ?? globalThis.fetch),
    })
}

/** The site's stores, from the context Netlify (and `netlify dev`) gives functions. */
export const siteStores: StoreFactory = blobStores()
