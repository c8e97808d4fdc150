import { getStore, type Store } from '@netlify/blobs'

export type StoreName = 'users' | 'tokens'
export type StoreFactory = (name: StoreName) => Store

/**
 * The site's Blobs stores, from the context Netlify (and `netlify dev`) gives functions.
 * Strong consistency: a refresh must see the tokens as soon as the sign-in's write has landed
 * (it lands after the answer, see `HandlerEnv.waitUntil`).
 */
export const siteStores: StoreFactory = (name) => getStore({ name, consistency: 'strong' })
