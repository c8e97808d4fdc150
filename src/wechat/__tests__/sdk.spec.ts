import { describe, expect, it } from 'vitest'
import { JS_API_LIST, loadWx, withoutFragment } from '../jssdk'

describe('loadWx', () => {
  it('loads the bundled weixin-js-sdk, whose wx has what the app calls', async () => {
    const wx = await loadWx()
    expect(wx && Object.keys(wx)).toEqual(expect.arrayContaining(['config', 'ready', 'error']))
    for (const api of JS_API_LIST) expect(typeof wx?.[api as keyof typeof wx]).toBe('function')
  })
})

describe('withoutFragment', () => {
  it.each([
    ['http://a.test/p?code=C&state=S#x', 'http://a.test/p?code=C&state=S'],
    ['http://a.test/#/a#b', 'http://a.test/'],
    ['http://a.test/p', 'http://a.test/p'],
  ])('%s → %s', (url, expected) => expect(withoutFragment(url)).toBe(expected))
})
