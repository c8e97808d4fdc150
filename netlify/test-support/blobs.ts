import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getStore } from '@netlify/blobs'
import { BlobsServer } from '@netlify/blobs/server'
import type { BlobsLocation, StoreFactory } from '../lib/stores.ts'

/** A real local Netlify Blobs server in a temporary folder, for tests. */
export async function startBlobs(): Promise<{
  stores: StoreFactory
  /** Where the server is, for `blobStores`. */
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
  const apiURL = `http://127.0.0.1:${port}`
  const location = { siteID: 'test-site', token, apiURL }
  return {
    stores: (name) => getStore({ ...location, name }),
    location,
    siteContext: Buffer.from(
      JSON.stringify({ siteID: 'test-site', token, edgeURL: apiURL, uncachedEdgeURL: apiURL }),
    ).toString('base64'),
    close: async () => {
      await server.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
