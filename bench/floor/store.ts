import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { SessionUser } from '../../contract/index.ts'
import * as api from './api.ts'
import { savedVerifier } from './auth.ts'

export const useSessionStore = defineStore('session', () => {
  const user = ref<SessionUser | null>(null)

  async function signIn(code: string, state: string) {
    user.value = await api.signIn({ code, state, verifier: savedVerifier() })
  }

  async function restore() {
    user.value = await api.getSession().catch(() => null)
  }

  return { user, signIn, restore }
})
