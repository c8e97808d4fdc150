import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { forgetSiteStore, siteStoreDirs } from '../scripts/site-blobs.ts'

/**
 * The site remembers everyone who consented (the `users` store: profile and grant), across
 * tests and runs, and the emulator's openids never change: without this, whoever signed in
 * in an earlier test would be signed in silently and never meet `/welcome`.
 */
export function forgetSiteUsers(): Promise<void> {
  return forgetSiteStore('users')
}

/** The site forgets its copies of avatars (the `avatars` store). */
export function forgetSiteAvatars(): Promise<void> {
  return forgetSiteStore('avatars')
}

/** Whether the site keeps a copy of the avatar at `url` (avatars.ts keys it by its SHA-256). */
export async function siteHasAvatarCopy(url: string): Promise<boolean> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url))
  const key = Buffer.from(digest).toString('hex')
  try {
    await access(resolve(siteStoreDirs('avatars')[0], key))
    return true
  } catch {
    return false
  }
}
