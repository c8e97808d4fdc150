import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as api from './api.ts'

export const useSessionStore = defineStore('session', () => {
  const user = ref<api.User | null>(null)

  async function signIn(code: string, state: string) {
    user.value = await api.signIn(code, state)
  }

  async function restore() {
    user.value = await api.getSession().catch(() => null)
  }

  return { user, signIn, restore }
})
