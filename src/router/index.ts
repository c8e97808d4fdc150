import {
  createRouter,
  createWebHistory,
  START_LOCATION,
  type Router,
  type RouteRecordRaw,
} from 'vue-router'
import { CALLBACK_PATH, readCallbackParams } from '@/auth/callback'
import { canAuthorize, currentClient, isNonWechatAllowed } from '@/auth/client'
import { beginWechatLogin } from '@/auth/login'
import { useSessionStore } from '@/stores/session'
import HomeView from '@/views/HomeView.vue'
import ProfileView from '@/views/ProfileView.vue'
import SignInView from '@/views/SignInView.vue'
import type { RouteName } from './names'

export type { RouteName }

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean
  }
}

// The pages of a sign-in are in the entry, not lazy: on a slow link, each lazy page would
// be one more round trip between WeChat's redirect and the profile on screen.
export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: HomeView },
  { path: '/profile', name: 'profile', component: ProfileView, meta: { requiresAuth: true } },
  { path: CALLBACK_PATH, name: 'callback', component: SignInView },
  // Only browsers outside WeChat see this page, and its QR encoder is large.
  {
    path: '/open-in-wechat',
    name: 'open-in-wechat',
    component: () => import('@/views/OpenInWechatView.vue'),
  },
  // Someone new, back from the silent authorization, asked for their profile on a tap.
  { path: '/welcome', name: 'welcome', component: () => import('@/views/WelcomeView.vue') },
  // A computer's way in: a QR code the phone scans (wechat-behaviour.md §9).
  { path: '/login/qr', name: 'qr-login', component: () => import('@/views/QrLoginView.vue') },
  // The phone's side of it: the page the QR code holds.
  {
    path: '/qr/:id',
    name: 'qr-confirm',
    component: () => import('@/views/QrConfirmView.vue'),
    meta: { requiresAuth: true },
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

/** The login guard: takes WeChat's callback off the URL and sends the unsigned to WeChat. */
export function installGuards(router: Router): void {
  router.beforeEach(async (to, from) => {
    const session = useSessionStore()
    if (to.name === 'callback') {
      // Only the page load WeChat redirected to carries a callback; an in-app visit has none.
      if (from === START_LOCATION) session.receiveCallback(readCallbackParams(location.search))
      // Replacing the entry removes code and state from the address bar and from history.
      if (Object.keys(to.query).length > 0 || to.hash) return { name: 'callback', replace: true }
      return true
    }
    if (!to.meta.requiresAuth) return true
    try {
      if (await session.restore()) return true
      // WeChat would refuse other browsers. A computer's browser signs in through the phone;
      // a QR page opened outside WeChat, WeCom and the mini-program continue in WeChat.
      const client = currentClient()
      if (!canAuthorize(client) && !isNonWechatAllowed(sessionStorage)) {
        const name =
          client === 'browser' && to.name !== 'qr-confirm' ? 'qr-login' : 'open-in-wechat'
        return { name, query: { from: to.fullPath } }
      }
      await beginWechatLogin(to.fullPath)
      return false
    } catch (error) {
      session.fail(error, to.fullPath)
      return { name: 'callback', replace: true }
    }
  })
}

export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes })
  installGuards(router)
  return router
}
