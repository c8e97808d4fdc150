import { avatarAt132 } from '@/components/avatar'
import type { SessionUser } from '@contract'
import { SHELL_ATTRIBUTE } from './callback'
import { DEFAULT_RETURN_TO } from './return-to'

/** Whether a sign-in leads to the profile page (the default destination), whose head this is. */
export function leadsToProfile(returnTo: string): boolean {
  return returnTo.split(/[?#]/)[0] === DEFAULT_RETURN_TO
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (className) el.className = className
  el.append(...children)
  return el
}

/**
 * The profile page's head (ProfileView's <header>: avatar, nickname), drawn by the callback
 * page's first script as soon as the sign-in answers, in place of the HTML's 正在登录….
 * On a slow link the app's code is still downloading then: the user sees whom they signed
 * in as a second sooner, and the profile page, when the app mounts, puts the same head in
 * the same place (a spec holds the two to one shape). Until then a spinner stands for the
 * rest of the page.
 *
 * Drawn only over the shell, never over the mounted app, and only with a nickname: the
 * words for a missing one are in the app's locale files, not here. Text goes in as text.
 * Returns whether it drew.
 */
export function drawProfileHead(app: HTMLElement | null, user: SessionUser): boolean {
  const shell = app?.querySelector(`:scope > [${SHELL_ATTRIBUTE}]`)
  if (!shell || !user.nickname) return false

  let avatar: HTMLElement
  if (user.headimgurl) {
    const img = element('img', 'avatar')
    img.src = avatarAt132(user.headimgurl)
    // The nickname beside it says whom it shows; the app's page gives it its full alt.
    img.alt = ''
    img.width = img.height = 64
    img.setAttribute('referrerpolicy', 'no-referrer')
    // Where the app would show its placeholder, an empty box holds the place.
    img.addEventListener('error', () => (img.style.visibility = 'hidden'))
    avatar = img
  } else {
    avatar = element('span', 'avatar avatar-placeholder avatar-blank')
  }
  const name = element('h1', 'weui-cell__bd profile-name', document.createTextNode(user.nickname))
  name.dataset.testid = 'nickname'
  const spinner = element('i', 'weui-loading')
  spinner.setAttribute('aria-hidden', 'true')

  const profile = element(
    'div',
    'profile',
    element('header', 'weui-cells profile-head', element('div', 'weui-cell', avatar, name)),
    element('p', 'profile-loading', spinner),
  )
  profile.setAttribute('aria-busy', 'true')
  const page = element('div', 'app app_list', element('main', '', profile))
  page.setAttribute(SHELL_ATTRIBUTE, '')
  shell.replaceWith(page)
  return true
}
