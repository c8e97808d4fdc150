import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BlobsServer } from '@netlify/blobs/server'
import { blobStores, type BlobsLocation, type StoreFactory } from '../lib/stores.ts'

/** A real local Netlify Blobs server in a temporary folder, for tests. */
export async function startBlobs(): Promise<{
  /** The stores as the functions reach them. */
  stores: StoreFactory
  location: BlobsLocation
  /**
   * The value of NETLIFY_BLOBS_CONTEXT, the variable through which Netlify tells
   * `getStore` (without options, as the deployed functions call it) where Blobs are.
   */
  siteContext: string
  close: () => Promise<void>
}> {
  const directory = await mkdtemp(join(tmpdir(), 'blobs-'))
  const token = 'test-token'
  const server = new BlobsServer({ directory, token, port: 0 })
  const { port } = await server.start()
  const url = `http://127.0.0.1:${port}`
  // Edge URLs, as Netlify and `netlify dev` give functions: the local server's API path drops
  // a list's prefix.
  const location = { siteID: 'test-site', token, edgeURL: url, uncachedEdgeURL: url }
  return {
    stores: blobStores(location),
    location,
    siteContext: Buffer.from(JSON.stringify(location)).toString('base64'),
    close: async () => {
      await server.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
