import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import {
  deleteSession,
  deleteSessions,
  getSession,
  postSessionRefresh,
  postWechatLogin,
} from '@/api'
import { LoginFailure } from '@/api/failure'
import type { CallbackParams } from '@/auth/callback'
import { canAuthorize, currentClient } from '@/auth/client'
import { forgetSignedIn, mayBeSignedIn, rememberSignedIn } from '@/auth/hint'
import { beginWechatLogin, isSilent, type LoginMode } from '@/auth/login'
import { takePendingLogin } from '@/auth/pending'
import { mayRetryAutomatically, resetAutomaticRetry } from '@/auth/retry'
import { DEFAULT_RETURN_TO } from '@/auth/return-to'
import type { LoginErrorCode, SessionUser } from '@contract'
import { wechatLang } from '@/locales'

/** Failures a new code can cure: the code was bad, spent, or burnt by WeChat's -1. */
const FRESH_CODE_HELPS: ReadonlySet<LoginErrorCode> = new Set([
  'invalid_code',
  'code_used',
  'wechat_busy',
])

/** How a 刷新资料 tap ended: a new profile, or the browser is on its way to WeChat. */
export type RefreshOutcome = 'refreshed' | 'reauthorizing'

export const useSessionStore = defineStore('session', () => {
  const user = ref<SessionUser | null>(null)
  /** True once the server has been asked (or need not be): later guards answer at once. */
  const checked = ref(false)
  /** The callback query, taken off the URL by the router guard and used once. */
  const callback = ref<CallbackParams | null>(null)
  /** Where the current sign-in leads; a retry after a failure goes there too. */
  const returnTo = ref(DEFAULT_RETURN_TO)
  /** Which authorization the current sign-in asked for; an automatic retry asks the same. */
  let mode: LoginMode = 'silent'
  /** A failure met outside the sign-in page (e.g. by the guard), for that page to show. */
  const failure = ref<LoginFailure | null>(null)

  function setUser(value: SessionUser | null) {
    user.value = value
    checked.value = true
    if (value) rememberSignedIn(localStorage)
    else forgetSignedIn(localStorage)
  }

  /** The signed-in user, asking the server at most once per page load. */
  async function restore(): Promise<SessionUser | null> {
    if (checked.value) return user.value
    if (!mayBeSignedIn(localStorage)) {
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

  /** A session the server opened another way: a computer signed in through the phone. */
  function acceptSession(value: SessionUser) {
    setUser(value)
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
    const params = callback.value
    callback.value = null
    const pending = takePendingLogin(localStorage, Date.now())
    if (pending) {
      returnTo.value = pending.returnTo
      mode = pending.mode
    }
    if (!params) {
      // A reload of the sign-in page: the code already left the URL.
      if (await restore()) return returnTo.value
      return await reauthorize(new LoginFailure('state_invalid'))
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
      const { code, state } = params
      const silent = isSilent(pending.mode)
      setUser(
        await postWechatLogin({
          code,
          state,
          verifier: pending.verifier,
          lang: wechatLang(),
          ...(silent ? { silent } : {}),
        }),
      )
    } catch (error) {
      if (!(error instanceof LoginFailure)) throw error
      if (error.code === 'profile_required') return await askForProfile(pending.mode)
      if (error.code === 'code_used' && (await restore())) return returnTo.value
      if (FRESH_CODE_HELPS.has(error.code)) return await reauthorize(error)
      throw error
    }
    resetAutomaticRetry(localStorage)
    return pending.returnTo
  }

  /**
   * Someone the site does not know came back from the silent authorization. After a tap they
   * go on to WeChat's consent sheet at once; a page that opened by itself first says who we
   * are and what the profile is for, and asks for the tap (wechat-behaviour.md §7).
   */
  async function askForProfile(asked: LoginMode): Promise<string | null> {
    if (asked === 'tap') {
      await beginWechatLogin(returnTo.value, { mode: 'consent' })
      return null
    }
    return `/welcome?from=${encodeURIComponent(returnTo.value)}`
  }

  /** Starts one automatic re-authorization, or gives up with `failure` if one was spent. */
  async function reauthorize(failure: LoginFailure): Promise<null> {
    if (!mayRetryAutomatically(localStorage, Date.now())) throw failure
    await beginWechatLogin(returnTo.value, { automatic: true, mode })
    return null
  }

  /**
   * A person's tap that means "sign me in" (微信授权登录, 重新登录): silently for someone the
   * site knows, through the consent sheet for someone new.
   */
  async function signInByTap(destination: string) {
    await beginWechatLogin(destination, { mode: 'tap' })
  }

  /** 使用微信头像昵称: the consent sheet, on the person's tap. */
  async function signInWithProfile(destination: string) {
    await beginWechatLogin(destination, { mode: 'consent' })
  }

  /**
   * 刷新资料: the profile re-read through the server's stored grant. When WeChat no longer
   * honours it, the tap that asked becomes a fresh authorization that returns to `here`.
   */
  async function refreshProfile(here: string): Promise<RefreshOutcome> {
    try {
      setUser(await postSessionRefresh())
      return 'refreshed'
    } catch (error) {
      // WeChat refuses other browsers: a computer signed in through the phone just says so.
      if (
        error instanceof LoginFailure &&
        error.code === 'reauth_required' &&
        canAuthorize(currentClient())
      ) {
        await beginWechatLogin(here, { mode: 'consent' })
        return 'reauthorizing'
      }
      if (error instanceof LoginFailure && error.code === 'not_signed_in') setUser(null)
      throw error
    }
  }

  /**
   * Ends this session, or with `everywhere` every session of the user. Forgets the user here
   * even when the request fails, so a shared phone is never left signed in.
   */
  async function signOut({ everywhere = false } = {}) {
    try {
      await (everywhere ? deleteSessions() : deleteSession())
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
    acceptSession,
    receiveCallback,
    fail,
    completeLogin,
    signInByTap,
    signInWithProfile,
    refreshProfile,
    signOut,
  }
})

if (import.meta.hot) {
  import.meta.hot.accept(acceptHMRUpdate(useSessionStore, import.meta.hot))
}
