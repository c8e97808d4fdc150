import { getStore, type Store } from '@netlify/blobs'

/**
 * `users`: a record per user, tokens included (users.ts). `tokens`: where sign-ins kept the
 * tokens before they moved into the record; only read and cleared now (tokens.ts).
 */
export type StoreName = 'users' | 'tokens'
export type StoreFactory = (name: StoreName) => Store

/**
 * The site's Blobs stores, from the context Netlify (and `netlify dev`) gives functions.
 * Strong consistency: a refresh must see the tokens as soon as the sign-in's write has landed
 * (it lands after the answer, see `HandlerEnv.waitUntil`).
 */
export const siteStores: StoreFactory = (name) => getStore({ name, consistency: 'strong' })
