import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { LoginFailure } from '@/api/failure'
import { getSession, postWechatLogin } from '@/api/session'
import { takeArrival } from '@/auth/arrival'
import type { CallbackParams } from '@/auth/callback'
import { takePendingLogin } from '@/auth/pending'
import { DEFAULT_RETURN_TO } from '@/auth/return-to'
import { beginWechatLogin } from '@/auth/login'
import { mayRetryAutomatically, resetAutomaticRetry } from '@/auth/retry'
import type { LoginErrorCode, SessionUser } from '@contract'
import { wechatLang } from '@/locales'

/**
 * Set while a session cookie is believed to exist. The cookie itself is HttpOnly, so
 * without this hint every visit to a protected page would ask the API first, an extra
 * round trip before the redirect to WeChat.
 */
const HINT_KEY = 'wx-login:signed-in'

/** Failures a new code can cure: the code was bad, spent, or burnt by WeChat's -1. */
const FRESH_CODE_HELPS: ReadonlySet<LoginErrorCode> = new Set([
  'invalid_code',
  'code_used',
  'wechat_busy',
])

/**
 * The requests behind the profile page's buttons, with axios, loaded on the first tap
 * rather than with every page. A failed download is a network failure like any other.
 */
function loadActions(): Promise<typeof import('@/api')> {
  return import('@/api').catch(() => {
    throw new LoginFailure('network_error')
  })
}

export const useSessionStore = defineStore('session', () => {
  const user = ref<SessionUser | null>(null)
  /** True once the server has been asked (or need not be): later guards answer at once. */
  const checked = ref(false)
  /** The callback query, taken off the URL by the router guard and used once. */
  const callback = ref<CallbackParams | null>(null)
  /** Where the current sign-in leads; a retry after a failure goes there too. */
  const returnTo = ref(DEFAULT_RETURN_TO)
  /** A failure met outside the sign-in page (e.g. by the guard), for that page to show. */
  const failure = ref<LoginFailure | null>(null)

  function setUser(value: SessionUser | null) {
    user.value = value
    checked.value = true
    if (value) localStorage.setItem(HINT_KEY, '1')
    else localStorage.removeItem(HINT_KEY)
  }

  /** The signed-in user, asking the server at most once per page load. */
  async function restore(): Promise<SessionUser | null> {
    if (checked.value) return user.value
    if (!localStorage.getItem(HINT_KEY)) {
      checked.value = true
      return null
    }
    try {
      setUser(await getSession())
    } catch (error) {
      if (error instanceof LoginFailure && error.status === 401) setUser(null)
      else throw error
    }
    return user.value
  }

  function receiveCallback(params: CallbackParams | null) {
    callback.value = params
  }

  function fail(error: unknown, destination: string) {
    failure.value = error instanceof LoginFailure ? error : new LoginFailure('internal')
    returnTo.value = destination
  }

  /**
   * Steps 2 and 3: checks the callback against the login this browser started, then
   * trades the code. Resolves to where the user was going, or to null when it has sent
   * the browser back to WeChat for a fresh code (once per user action, never in a loop).
   */
  async function completeLogin(): Promise<string | null> {
    // The callback page's first script may have checked the callback and sent the code
    // already (auth/arrival.ts); its findings then stand in for the same checks here.
    const arrival = takeArrival()
    const params = arrival?.params ?? callback.value
    callback.value = null
    const pending = arrival ? arrival.pending : takePendingLogin(localStorage, Date.now())
    if (pending) returnTo.value = pending.returnTo
    if (!params) {
      // A reload of the sign-in page: the code already left the URL.
      if (await restore()) return returnTo.value
      return reauthorize(new LoginFailure('state_invalid'))
    }
    if (!params.code) throw new LoginFailure('access_denied')
    if (!pending) {
      // WeChat called back twice, or Back/refresh replayed the callback: the first
      // arrival consumed the pending login. A signed-in user just goes on.
      if (await restore()) return returnTo.value
      throw new LoginFailure('state_invalid')
    }
    if (!params.state || pending.state !== params.state) throw new LoginFailure('state_invalid')
    try {
      const login =
        arrival?.login ??
        postWechatLogin({ code: params.code, state: params.state, lang: wechatLang() })
      setUser(await login)
    } catch (error) {
      if (!(error instanceof LoginFailure)) throw error
      if (error.code === 'code_used' && (await restore())) return returnTo.value
      if (FRESH_CODE_HELPS.has(error.code)) return reauthorize(error)
      throw error
    }
    resetAutomaticRetry(localStorage)
    return pending.returnTo
  }

  /** Starts one automatic re-authorization, or gives up with `failure` if one was spent. */
  function reauthorize(failure: LoginFailure): null {
    if (!mayRetryAutomatically(localStorage, Date.now())) throw failure
    beginWechatLogin(returnTo.value, { automatic: true })
    return null
  }

  /**
   * 刷新资料: the profile re-read through the server's stored grant. When WeChat no longer
   * honours it, the tap that asked becomes a fresh authorization that returns here.
   */
  async function refreshProfile(here: string): Promise<void> {
    try {
      const { postSessionRefresh } = await loadActions()
      setUser(await postSessionRefresh())
    } catch (error) {
      if (error instanceof LoginFailure && error.code === 'reauth_required') {
        beginWechatLogin(here)
        return
      }
      if (error instanceof LoginFailure && error.code === 'not_signed_in') setUser(null)
      throw error
    }
  }

  /** Forgets the user here even when the request fails, so a shared phone is never left signed in. */
  async function signOut() {
    try {
      const { deleteSession } = await loadActions()
      await deleteSession()
    } finally {
      setUser(null)
    }
  }

  return {
    user,
    checked,
    callback,
    returnTo,
    failure,
    restore,
    receiveCallback,
    fail,
    completeLogin,
    refreshProfile,
    signOut,
  }
})

if (import.meta.hot) {
  import.meta.hot.accept(acceptHMRUpdate(useSessionStore, import.meta.hot))
}
