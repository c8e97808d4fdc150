import { createRouter, createWebHistory } from 'vue-router'
import { startLogin } from './auth.ts'
import { useSessionStore } from './store.ts'

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: '/', name: 'home', component: () => import('./HomeView.vue') },
    { path: '/profile', name: 'profile', component: () => import('./ProfileView.vue') },
    // WeChat's redirect: the guard signs in and moves on, so this never renders.
    { path: '/auth/callback', name: 'callback', component: () => import('./HomeView.vue') },
  ],
})

router.beforeEach(async (to) => {
  const session = useSessionStore()
  if (to.name === 'callback') {
    const query = new URLSearchParams(location.search)
    await session.signIn(query.get('code') ?? '', query.get('state') ?? '')
    return { name: 'profile', replace: true }
  }
  if (to.name === 'profile' && !session.user) {
    await session.restore()
    if (session.user) return true
    await startLogin()
    return false
  }
})
