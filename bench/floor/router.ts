import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: () => import('./HomeView.vue') },
    // The callback lands on the profile, as the app's does.
    { path: '/profile', alias: '/auth/callback', component: () => import('./ProfileView.vue') },
  ],
})
