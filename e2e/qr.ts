import { readFile, writeFile } from 'node:fs/promises'
import {
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from '@playwright/test'
import { siteStoreDirs } from '../scripts/site-blobs.ts'
import { emulator } from './emulator.ts'
import { APP_URL } from './ports.ts'
import { toConsentSheet } from './sign-in.ts'

/** A computer's Chrome, which WeChat's authorize page would refuse. */
export const DESKTOP_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36'

export const QR_URL = new RegExp(`^${APP_URL}/qr/([A-Za-z0-9_-]{22})$`)

export async function desktop(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext({
    baseURL: APP_URL,
    userAgent: DESKTOP_CHROME,
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    ...options,
  })
}

/** The computer opens a page that needs sign-in and gets the QR sign-in page. */
export async function showCode(
  computer: Page,
  path = '/profile',
): Promise<{ url: string; id: string }> {
  await computer.goto(path)
  await expect(computer.getByRole('heading', { name: '微信扫码登录' })).toBeVisible()
  const qr = computer.getByRole('img', { name: '登录二维码' })
  await expect(qr).toHaveAttribute('src', /^data:image\/svg\+xml,/)
  const url = (await qr.getAttribute('data-url')) ?? ''
  const id = QR_URL.exec(url)?.[1]
  expect(id, url).toBeTruthy()
  return { url, id: id! }
}

/**
 * The phone opens the code as someone new: silently first, then /welcome, 使用微信头像昵称 and
 * the emulator's consent sheet; back on the code, it is asked.
 */
export async function scan(phone: Page, url: string) {
  await emulator.nextUser('normal')
  await toConsentSheet(phone, url)
  await phone.getByRole('button', { name: '允许' }).click()
  await expect(phone).toHaveURL(url)
  await expect(phone.getByRole('heading', { name: '确认电脑登录' })).toBeVisible()
}

/** Where `netlify serve` keeps the `qr-logins` store. */
function requestBlob(id: string) {
  return `${siteStoreDirs('qr-logins')[0]}/${id}/request`
}

/**
 * Moves the server's view of the request 3 minutes into the past, past its 2 minutes,
 * instead of waiting them out: the functions read the time it was made from this blob.
 */
export async function ageRequest(id: string) {
  const request = JSON.parse(await readFile(requestBlob(id), 'utf8'))
  const back = (iso: string) => new Date(Date.parse(iso) - 180_000).toISOString()
  request.createdAt = back(request.createdAt)
  request.expiresAt = back(request.expiresAt)
  await writeFile(requestBlob(id), JSON.stringify(request))
}
