/**
 * `npm run users`: the operator's read-only list of everyone who signed in.
 * With NETLIFY_SITE_ID and NETLIFY_AUTH_TOKEN it reads the deployed site's Blobs;
 * without them, the local store that `netlify dev` and `netlify serve` keep in
 * .netlify/blobs-serve.
 */
import { existsSync } from 'node:fs'
import { BlobsServer } from '@netlify/blobs/server'
import { blobStores } from '../netlify/lib/stores.ts'
import { listUsers, type UserRecord } from '../netlify/lib/users.ts'

const LOCAL_DIRECTORY = '.netlify/blobs-serve'
/** The site id `netlify dev` uses for a project not linked to a Netlify site. */
export const LOCAL_SITE_ID = 'unlinked'

export function formatUsers(users: UserRecord[]): string {
  if (users.length === 0) return 'no users yet'
  const rows = users.map((u) =>
    [
      u.openid,
      u.unionid ?? '-',
      u.profile.nickname || '-',
      String(u.signInCount),
      u.firstSignInAt,
      u.lastSignInAt,
    ].join('\t'),
  )
  return [['openid', 'unionid', 'nickname', 'sign-ins', 'first', 'last'].join('\t'), ...rows].join(
    '\n',
  )
}

/** The users kept in a local Blobs directory, read through a Blobs server of our own. */
export async function readLocalUsers(directory: string): Promise<UserRecord[]> {
  const token = 'local-operator'
  const server = new BlobsServer({ directory, token, port: 0 })
  const { port } = await server.start()
  try {
    const url = `http://127.0.0.1:${port}`
    // Edge URLs, as `netlify dev` gives the functions.
    const stores = blobStores({ siteID: LOCAL_SITE_ID, token, edgeURL: url, uncachedEdgeURL: url })
    return await listUsers(stores('users'))
  } finally {
    await server.stop()
  }
}

async function main() {
  const siteID = process.env.NETLIFY_SITE_ID
  const token = process.env.NETLIFY_AUTH_TOKEN
  if (siteID && token) {
    console.log(formatUsers(await listUsers(blobStores({ siteID, token })('users'))))
    return
  }
  if (!existsSync(LOCAL_DIRECTORY)) {
    console.log('no local Blobs yet: sign in through `npm run dev` first')
    return
  }
  console.log(formatUsers(await readLocalUsers(LOCAL_DIRECTORY)))
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
