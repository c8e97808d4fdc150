import { rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { StoreName } from '../netlify/lib/stores.ts'

/**
 * Where `netlify dev` and `netlify serve` keep one of the site's local Blobs stores (its
 * entries, then its metadata): `.netlify/blobs-serve`, under the unlinked site, in the site's
 * folder `root`. Each key is a file (a `/` in it, a folder), read at each request.
 */
export function siteStoreDirs(store: StoreName, root = process.cwd()): [string, string] {
  const dir = (kind: string) =>
    resolve(root, '.netlify/blobs-serve', kind, `unlinked/site:${store}`)
  return [dir('entries'), dir('metadata')]
}

/** Empties one of the site's local Blobs stores. */
export async function forgetSiteStore(store: StoreName, root?: string): Promise<void> {
  await Promise.all(
    siteStoreDirs(store, root).map((dir) => rm(dir, { recursive: true, force: true })),
  )
}

/**
 * The site keeps its jsapi_ticket (the `account` store) for its 2 hours, across runs too, but a
 * freshly started or reset emulator knows none: the site would sign with a ticket the emulator
 * rejects. Emptying the store makes it ask for a new one, as a site meeting a fresh Official
 * Account.
 */
export function forgetSiteTicket(): Promise<void> {
  return forgetSiteStore('account')
}
