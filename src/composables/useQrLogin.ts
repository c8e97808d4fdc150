import { onScopeDispose, ref, shallowRef } from 'vue'
import type { QrLoginCreated, SessionUser } from '@contract'
import { LoginFailure } from '@/api/failure'
import { getQrLogin, postQrLogin } from '@/api/qr-login'

/** How often the computer asks whether the phone has answered. */
export const POLL_INTERVAL_MS = 2000

export type QrLoginPhase =
  'loading' | 'waiting' | 'scanned' | 'confirmed' | 'cancelled' | 'expired' | 'failed'

const OVER: ReadonlySet<QrLoginPhase> = new Set(['confirmed', 'cancelled', 'expired', 'failed'])

/**
 * The computer's side of a QR sign-in: asks for a request, counts down its life, and polls
 * until the phone answers. It polls only while the page is visible and the request is open,
 * and calls `onSignedIn` once with the user the confirmed request signed in.
 */
export function useQrLogin(onSignedIn: (user: SessionUser) => void) {
  const phase = ref<QrLoginPhase>('loading')
  const request = shallowRef<QrLoginCreated | null>(null)
  const secondsLeft = ref(0)

  let deadline = 0
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let tickTimer: ReturnType<typeof setInterval> | undefined
  let polling = false
  /** Bumped by every new request, so that a late answer about an old one is dropped. */
  let generation = 0

  function stop() {
    clearTimeout(pollTimer)
    clearInterval(tickTimer)
    pollTimer = tickTimer = undefined
  }

  function end(next: QrLoginPhase) {
    phase.value = next
    stop()
  }

  function schedulePoll(delay = POLL_INTERVAL_MS) {
    clearTimeout(pollTimer)
    if (OVER.has(phase.value) || document.hidden) return
    pollTimer = setTimeout(() => void poll(), delay)
  }

  async function poll() {
    const current = request.value
    if (!current || polling || OVER.has(phase.value)) return
    polling = true
    const asked = generation
    try {
      const answer = await getQrLogin(current.id)
      if (asked !== generation) return
      if (answer.status === 'confirmed' && answer.user) {
        end('confirmed')
        onSignedIn(answer.user)
        return
      }
      // `confirmed` without a user: another tab of this browser collected it first.
      if (answer.status === 'confirmed') return end('expired')
      if (answer.status === 'waiting' || answer.status === 'scanned') {
        phase.value = answer.status
      } else {
        return end(answer.status)
      }
    } catch (error) {
      if (asked !== generation) return
      // The request is unknown to this browser (its cookie is gone): a new code is the cure.
      if (error instanceof LoginFailure && error.status === 404) return end('expired')
      // Anything else may pass (a dropped connection on a laptop): ask again until the end.
      if (!(error instanceof LoginFailure && error.code === 'network_error')) return end('failed')
    } finally {
      if (asked === generation) polling = false
    }
    if (Date.now() >= deadline) return end('expired')
    schedulePoll()
  }

  function tick() {
    secondsLeft.value = Math.max(0, Math.ceil((deadline - Date.now()) / 1000))
    // One last question at the end: the phone may have answered in the last moment.
    if (secondsLeft.value === 0) {
      clearInterval(tickTimer)
      schedulePoll(0)
    }
  }

  /** A new request and QR code; the old one, if any, is left to expire. */
  async function start() {
    stop()
    const mine = ++generation
    polling = false
    phase.value = 'loading'
    request.value = null
    try {
      const created = await postQrLogin()
      if (mine !== generation) return
      request.value = created
      deadline = Date.now() + created.expiresIn * 1000
      phase.value = 'waiting'
      tick()
      tickTimer = setInterval(tick, 1000)
      schedulePoll()
    } catch {
      if (mine === generation) end('failed')
    }
  }

  // A hidden page stops asking; it asks at once when seen again.
  function onVisibility() {
    if (document.hidden) clearTimeout(pollTimer)
    else schedulePoll(0)
  }
  document.addEventListener('visibilitychange', onVisibility)

  onScopeDispose(() => {
    generation++
    stop()
    document.removeEventListener('visibilitychange', onVisibility)
  })

  return { phase, request, secondsLeft, start }
}
