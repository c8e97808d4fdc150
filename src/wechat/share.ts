import { watch } from 'vue'
import type { RouteLocationNormalized, Router } from 'vue-router'
import type { WechatClient } from '@/auth/client'
import { messages, type Messages } from '@/locales'
import type { RouteName } from '@/router/names'
import { loadWx, withoutFragment, wxConfigurer, type ShareData, type Wx } from './jssdk'

/**
 * Which URL WeChat checks the signature against: iOS the page it landed on (kept through
 * pushState and replaceState), the others the current one. null: no JS-SDK there.
 * A record, so a new client cannot be added without deciding this.
 * @see wechat-behaviour.md §5, §8
 */
const SIGNS: Record<WechatClient, 'landing' | 'current' | null> = {
  'wechat-ios': 'landing',
  'wechat-android': 'current',
  'wechat-windows': 'current',
  'wechat-mac': 'current',
  // If WeChat checks another URL on it, its realAuthUrl corrects the guess.
  'wechat-other': 'current',
  wecom: null,
  miniprogram: null,
  browser: null,
}

const SHARED: ReadonlySet<RouteName> = new Set(['home', 'profile'])

/** A card refused while a signature is being checked is set again, this often, this late. */
const RESHARE_TRIES = 3
const RESHARE_AFTER_MS = 300

/** The card: the site's home, never a URL carrying a code, a state or an openid. */
export function shareData(text: Messages['share'], origin: string): ShareData {
  return {
    title: text.title,
    desc: text.desc,
    link: `${origin}/`,
    imgUrl: `${origin}/share-icon.png`,
  }
}

interface Options {
  /** `location.href` before the router replaced it: what iOS WeChat checks. */
  landingUrl: string
  client: WechatClient
  load?: () => Promise<Wx | null>
}

/** Inside WeChat, sets the share card on the pages that have one, loading the SDK for them. */
export function installWechatShare(router: Router, { landingUrl, client, load = loadWx }: Options) {
  const signs = SIGNS[client]
  if (!signs) return
  const shared = (route: RouteLocationNormalized) => SHARED.has(route.name as RouteName)
  let sdk: Promise<Wx | null> | undefined
  let configure: ((url: string) => Promise<void>) | undefined
  /** iOS's one configuration; forgotten when its signature could not be fetched. */
  let landingConfig: Promise<void> | undefined

  function share(wx: Wx, triesLeft = RESHARE_TRIES) {
    if (!shared(router.currentRoute.value)) return
    const { title, desc, link, imgUrl } = shareData(messages.value.share, location.origin)
    // After a failed configuration jweixin runs ready callbacks at once, while WeChat is still
    // checking the next signature, and WeChat refuses the card: it is set again a little later.
    const fail = ({ errMsg }: { errMsg: string }) => {
      if (triesLeft > 0 && /offline verifying|permission denied/.test(errMsg)) {
        setTimeout(() => share(wx, triesLeft - 1), RESHARE_AFTER_MS)
      }
    }
    wx.updateAppMessageShareData({ title, desc, link, imgUrl, fail })
    wx.updateTimelineShareData({ title, link, imgUrl })
  }

  async function setUp(url: string) {
    const wx = await (sdk ??= load())
    if (!wx) return
    configure ??= wxConfigurer(wx, () => share(wx))
    if (signs === 'current') return configure(withoutFragment(url))
    // iOS keeps checking the landing URL, so one configuration serves every later page. If
    // its signature could not be fetched, wx.config never ran and the card waits for it:
    // the next page asks again, once, for the same landing URL.
    if (landingConfig) return landingConfig.then(() => wx.ready(() => share(wx)))
    landingConfig = configure(withoutFragment(url)).catch((error: unknown) => {
      landingConfig = undefined
      throw error
    })
    return landingConfig
  }

  function onPage(to: RouteLocationNormalized) {
    if (!shared(to)) return
    setUp(signs === 'landing' ? landingUrl : location.href).catch(() => undefined)
  }
  // Installed from a lazy chunk, perhaps after the first navigation: that page is taken as
  // it is, and every later one as it comes.
  void router.isReady().then(() => {
    onPage(router.currentRoute.value)
    router.afterEach((to, _from, failure) => failure || onPage(to))
  })
  // A language chosen on the page also changes the card.
  watch(messages, () => void sdk?.then((wx) => wx && configure && wx.ready(() => share(wx))))
}
