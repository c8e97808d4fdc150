import { getStore, type Store } from '@netlify/blobs'

export type StoreName = 'users' | 'tokens'
export type StoreFactory = (name: StoreName) => Store

/**
 * The site's Blobs stores, from the context Netlify (and `netlify dev`) gives functions.
 * Strong consistency: a refresh right after sign-in must see the tokens just written.
 */
export const siteStores: StoreFactory = (name) => getStore({ name, consistency: 'strong' })
