import { getStore, type GetStoreOptions, type Store } from '@netlify/blobs'
import { httpFetch } from './http-fetch.ts'

/**
 * `users`: a record per user, tokens included (users.ts). `tokens`: where sign-ins kept the
 * tokens before they moved into the record; only read and cleared now (tokens.ts).
 */
export type StoreName = 'users' | 'tokens'
export type StoreFactory = (name: StoreName) => Store

/** Where the stores are: from the context Netlify gives functions unless given here. */
export type BlobsLocation = Pick<
  GetStoreOptions,
  'siteID' | 'token' | 'apiURL' | 'edgeURL' | 'uncachedEdgeURL'
>

/**
 * Blobs stores as the functions reach them: Netlify's client, over `httpFetch` (a sign-in's
 * Blobs calls cost less CPU than over the global fetch). Strong consistency: a refresh must
 * see the tokens as soon as the sign-in's write has landed (it lands after the answer, see
 * `HandlerEnv.waitUntil`).
 */
export function blobStores(location: BlobsLocation = {}): StoreFactory {
  return (name) => getStore({ ...location, name, consistency: 'strong', fetch: httpFetch })
}

/** The site's stores, from the context Netlify (and `netlify dev`) gives functions. */
export const siteStores: StoreFactory = blobStores()
