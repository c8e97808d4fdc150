import { rm } from 'node:fs/promises'
import { resolve } from 'node:path'

/**
 * Where `netlify dev` and `netlify serve` keep the site's local `account` Blobs store (the
 * global token and the jsapi_ticket): `.netlify/blobs-serve`, under the unlinked site.
 */
const ACCOUNT_BLOBS = ['entries', 'metadata'].map((kind) =>
  resolve(process.cwd(), '.netlify/blobs-serve', kind, 'unlinked/site:account'),
)

/**
 * The site keeps its jsapi_ticket for its 2 hours, across runs too, but a freshly started or
 * reset emulator knows none: the site would sign with a ticket the emulator rejects.
 * Emptying the store makes it ask for a new one, as a site meeting a fresh Official Account.
 */
export async function forgetSiteTicket(): Promise<void> {
  await Promise.all(ACCOUNT_BLOBS.map((dir) => rm(dir, { recursive: true, force: true })))
}
