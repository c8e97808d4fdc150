import axios from 'axios'
import { defineStore } from 'pinia'
import { ref } from 'vue'

export const useUserStore = defineStore('user', () => {
  const nickname = ref('')

  async function load() {
    nickname.value = (
      await axios.get<{ user: { nickname: string } }>('/api/session')
    ).data.user.nickname
  }

  return { nickname, load }
})
