import {
  createRouter,
  createWebHistory,
  START_LOCATION,
  type RouteLocationNormalized,
  type Router,
  type RouteRecordRaw,
} from 'vue-router'
import { arrivalSignedIn } from '@/auth/arrival'
import { CALLBACK_PATH, readCallbackParams } from '@/auth/callback'
import { canAuthorize, currentClient, isNonWechatAllowed } from '@/auth/client'
import { beginWechatLogin } from '@/auth/login'
import { useSessionStore } from '@/stores/session'
import HomeView from '@/views/HomeView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean
  }
}

export type RouteName = 'home' | 'profile' | 'callback' | 'open-in-wechat'

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: HomeView },
  {
    path: '/profile',
    name: 'profile',
    component: () => import('@/views/ProfileView.vue'),
    meta: { requiresAuth: true },
  },
  {
    path: CALLBACK_PATH,
    name: 'callback',
    component: () => import('@/views/SignInView.vue'),
  },
  {
    path: '/open-in-wechat',
    name: 'open-in-wechat',
    component: () => import('@/views/OpenInWechatView.vue'),
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

/**
 * Starts downloading a lazy page's code while the guard asks for the session, instead of
 * after: on a slow link that is one round trip fewer before the page shows. The router's
 * own import later gets the same module.
 */
function preloadPage(to: RouteLocationNormalized): void {
  for (const record of to.matched) {
    const component = record.components?.default
    if (typeof component === 'function') {
      void (component as () => Promise<unknown>)().catch(() => undefined)
    }
  }
}

/** The login guard: takes WeChat's callback off the URL and sends the unsigned to WeChat. */
export function installGuards(router: Router): void {
  router.beforeEach(async (to, from) => {
    const session = useSessionStore()
    if (to.name === 'callback') {
      // Only a real arrival from WeChat carries a callback; an in-app visit has none.
      if (from === START_LOCATION) {
        session.receiveCallback(readCallbackParams(window.location.search))
        // The page's first script has signed in already (and may show the profile's head):
        // straight on to the destination, without the 正在登录… page in between.
        if (arrivalSignedIn()) {
          try {
            const destination = await session.completeLogin()
            if (destination) return destination
          } catch (error) {
            session.fail(error, session.returnTo)
          }
        }
      }
      // Replacing the entry removes code and state from the address bar and from history.
      if (Object.keys(to.query).length > 0 || to.hash) return { name: 'callback', replace: true }
      return true
    }
    if (!to.meta.requiresAuth) return true
    preloadPage(to)
    try {
      if (await session.restore()) return true
      // WeChat would refuse other browsers; they get a page to continue in WeChat instead.
      if (!canAuthorize(currentClient()) && !isNonWechatAllowed(sessionStorage)) {
        return { name: 'open-in-wechat', query: { from: to.fullPath } }
      }
      beginWechatLogin(to.fullPath)
      return false
    } catch (error) {
      session.fail(error, to.fullPath)
      return { name: 'callback', replace: true }
    }
  })
}

/**
 * How long the first page may take before the app mounts to show its loading screen: a
 * wait under a second keeps the reader's flow and needs no feedback (Nielsen's limits);
 * beyond it, a spinner says the page is working.
 */
export const LOADING_SCREEN_AFTER_MS = 1000

/**
 * When the app should mount: once its first page is ready, so that page is drawn whole in
 * one go, or after LOADING_SCREEN_AFTER_MS, whichever comes first, so a slow session check
 * shows the loading screen rather than nothing. A quick answer thus never shows it, and no
 * layout is spent on it (in Lighthouse's /profile runs, mounting in two steps was most of
 * the blocking time). The callback page waits for its page: its HTML shows 正在登录… (or
 * the profile's head) meanwhile.
 */
export function firstPageReady(router: Router, pathname: string): Promise<void> {
  const ready = router.isReady().catch(() => {})
  if (pathname === CALLBACK_PATH) return ready
  const patience = new Promise<void>((resolve) => setTimeout(resolve, LOADING_SCREEN_AFTER_MS))
  return Promise.race([ready, patience])
}

export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes })
  installGuards(router)
  return router
}
