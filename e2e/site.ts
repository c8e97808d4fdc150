import { access, rm } from 'node:fs/promises'
import { resolve } from 'node:path'

/** Where `netlify serve` keeps one of the site's local Blobs stores. */
function storeDirs(store: string): string[] {
  return ['entries', 'metadata'].map((kind) =>
    resolve(process.cwd(), '.netlify/blobs-serve', kind, `unlinked/site:${store}`),
  )
}

/**
 * The site remembers everyone who consented (the `users` store: profile and grant), across
 * tests and runs, and the emulator's openids never change: without this, whoever signed in
 * in an earlier test would be signed in silently and never meet `/welcome`.
 */
export async function forgetSiteUsers(): Promise<void> {
  await Promise.all(storeDirs('users').map((dir) => rm(dir, { recursive: true, force: true })))
}

/** The site forgets its copies of avatars (the `avatars` store). */
export async function forgetSiteAvatars(): Promise<void> {
  await Promise.all(storeDirs('avatars').map((dir) => rm(dir, { recursive: true, force: true })))
}

/** Whether the site keeps a copy of the avatar at `url` (avatars.ts keys it by its SHA-256). */
export async function siteHasAvatarCopy(url: string): Promise<boolean> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url))
  const key = Buffer.from(digest).toString('hex')
  try {
    await access(resolve(storeDirs('avatars')[0]!, key))
    return true
  } catch {
    return false
  }
}
