import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startBlobs } from '../test-support/blobs.ts'
import { blobStores } from './stores.ts'

let blobs: Awaited<ReturnType<typeof startBlobs>>
beforeAll(async () => {
  blobs = await startBlobs()
})
afterAll(() => blobs.close())

/** A fetch that records the method and path of each request, then fetches. */
function recording(paths: string[], platform: typeof fetch): typeof fetch {
  return (input, init) => {
    paths.push(`${init?.method} ${new URL(String(input)).pathname}`)
    return platform(input, init)
  }
}

describe('blobStores', () => {
  it('reaches Blobs over the fetch it is given', async () => {
    const paths: string[] = []
    const stores = blobStores({ ...blobs.location, fetch: recording(paths, fetch) })
    await stores('users').set('given', 'v')
    expect(await stores('users').get('given')).toBe('v')
    expect(paths).toEqual(['put /test-site/site:users/given', 'get /test-site/site:users/given'])
  })

  it('reaches Blobs over the global fetch as it is when a store is opened', async () => {
    const stores = blobStores(blobs.location)
    const paths: string[] = []
    vi.stubGlobal('fetch', recording(paths, globalThis.fetch))
    try {
      await stores('users').set('global', 'v')
    } finally {
      vi.unstubAllGlobals()
    }
    expect(paths).toEqual(['put /test-site/site:users/global'])
  })

  it('rejects a conditional write that Blobs fails, instead of reporting it landed', async () => {
    const stores = blobStores(blobs.location)
    // The local server fails to write under a key whose parent is a blob: a 500.
    await stores('users').set('parent', 'v')
    await expect(stores('users').set('parent/child', 'v', { onlyIfNew: true })).rejects.toThrow(
      'Blobs answered 500 to a write',
    )
    expect(await stores('users').set('parent', 'again', { onlyIfNew: true })).toEqual({
      modified: false,
    })
  })
})
