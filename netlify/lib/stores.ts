import { getStore, type GetStoreOptions, type Store } from '@netlify/blobs'

/** `users`: a record per user, tokens included (users.ts). */
export type StoreName = 'users'
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
 * Blobs stores as the functions reach them. Strong consistency: a refresh must see the tokens
 * as soon as the sign-in's write has landed (it lands after the answer, see
 * `HandlerEnv.waitUntil`).
 */
export function blobStores({ fetch, ...location }: BlobsOptions = {}): StoreFactory {
  return (name) =>
    getStore({ ...location, name, consistency: 'strong', fetch: fetch ?? globalThis.fetch })
}

/** The site's stores, from the context Netlify (and `netlify dev`) gives functions. */
export const siteStores: StoreFactory = blobStores()
