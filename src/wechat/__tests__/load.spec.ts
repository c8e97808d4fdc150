import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { routes } from '@/router'
import { fakeApi } from '@/test/fake-api'
import { loadWx } from '../jssdk'
import { installWechatShare } from '../share'

// As a chunk that cannot be downloaded (offline, or replaced by a new deployment).
vi.mock('../sdk', () => {
  throw new Error('Failed to fetch dynamically imported module: /assets/sdk-x.js')
})

afterEach(() => vi.restoreAllMocks())

describe('a JS-SDK chunk that fails to load', () => {
  it('leaves the page without the SDK, silently', async () => {
    const warn = vi.spyOn(console, 'warn')
    const error = vi.spyOn(console, 'error')
    const requests = fakeApi({})
    expect(await loadWx()).toBeNull()

    const router = createRouter({ history: createMemoryHistory(), routes })
    installWechatShare(router, { landingUrl: 'http://localhost:3000/', client: 'wechat-ios' })
    await router.push('/')
    await new Promise((resolve) => setTimeout(resolve))
    expect(router.currentRoute.value.name).toBe('home')
    expect(requests).toEqual([])
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
  })
})
