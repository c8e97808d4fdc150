import { expect, test, type APIResponse } from '@playwright/test'
import { emulator } from './emulator.ts'
import { forgetSiteUsers } from './site.ts'
import { APP_URL } from './ports.ts'
import { expectProfilePage } from './profile.ts'
import { ageRequest, desktop, QR_URL, scan, showCode } from './qr.ts'
import { toConsentSheet } from './sign-in.ts'

/**
 * Signing a computer in through the phone (wechat-behaviour.md §9), with two browsers: a
 * desktop Chrome that WeChat would refuse, and the WeChat phone every e2e test browses as.
 */

async function errorCode(response: APIResponse) {
  return ((await response.json()) as { error?: { code?: string } }).error?.code
}

test.beforeEach(async () => {
  await Promise.all([emulator.reset(), forgetSiteUsers()])
})

test('a computer signs in by scanning, and the phone signs it out again', async ({
  browser,
  page: phone,
}) => {
  const computerContext = await desktop(browser)
  const computer = await computerContext.newPage()
  const { url } = await showCode(computer)
  await expect(computer.getByTestId('qr-time')).toHaveText(/^1[0-2]\d 秒后失效$/)
  expect((await emulator.log()).filter((entry) => entry.endpoint === 'authorize')).toEqual([])

  await scan(phone, url)
  await expect(computer.getByTestId('qr-status')).toHaveText('扫码成功')
  const requester = phone.getByTestId('requester')
  await expect(requester).toContainText('浏览器Chrome 132')
  await expect(requester).toContainText('系统macOS')
  await expect(phone.getByTestId('qr-warning')).toContainText('有人可能正试图盗用你的账号')
  // Both from 127.0.0.1 here: no different-network warning.
  await expect(phone.getByTestId('qr-other-network')).toHaveCount(0)

  await phone.getByRole('button', { name: '确认登录' }).click()
  await expect(phone.getByRole('heading', { name: '已确认登录' })).toBeVisible()

  // The computer, polling, is signed in as the phone's user and goes where it was headed.
  await expect(computer).toHaveURL(`${APP_URL}/profile`)
  await expectProfilePage(computer, '微信用户小明')
  // A computer has no computers of its own to list.
  await expect(computer.getByTestId('computers')).toHaveCount(0)

  // The phone's sign-out ends the phone's session only.
  await phone.getByRole('link', { name: '查看我的资料' }).click()
  await expectProfilePage(phone, '微信用户小明')
  const computers = phone.getByTestId('computers')
  await expect(computers).toContainText('Chrome 132 · macOS')
  await phone.getByRole('button', { name: '退出登录', exact: true }).click()
  await expect(phone.getByRole('heading', { name: '微信登录' })).toBeVisible()
  await computer.reload()
  await expectProfilePage(computer, '微信用户小明')

  // 退出该设备 on the phone ends the computer's. The site knows the phone's user by now: the
  // sign-in is silent.
  await emulator.nextUser('normal')
  await phone.goto('/profile')
  await expectProfilePage(phone, '微信用户小明')
  await phone.getByRole('button', { name: '退出该设备' }).click()
  await expect(phone.getByTestId('computers')).toHaveCount(0)
  expect((await computerContext.request.get('/api/session')).status()).toBe(401)
  await computer.reload()
  await expect(computer.getByRole('heading', { name: '微信扫码登录' })).toBeVisible()
  await computerContext.close()
})

test('a cancel on the phone shows on the computer, which gets a new code with one click', async ({
  browser,
  page: phone,
}) => {
  const computerContext = await desktop(browser)
  const computer = await computerContext.newPage()
  const first = await showCode(computer)
  await scan(phone, first.url)
  await phone.getByRole('button', { name: '取消' }).click()
  await expect(phone.getByRole('heading', { name: '已取消登录' })).toBeVisible()
  await expect(computer.getByTestId('qr-status')).toHaveText('已在手机上取消登录')

  await computer.getByRole('button', { name: '刷新二维码' }).click()
  await expect(computer.getByTestId('qr-status')).toHaveText('微信扫码登录')
  const fresh = computer.getByRole('img', { name: '登录二维码' })
  await expect(fresh).toHaveAttribute('data-url', QR_URL)
  await expect(fresh).not.toHaveAttribute('data-url', first.url)
  // The cancelled code stays cancelled.
  expect((await phone.request.post(`/api/qr-login/${first.id}/confirm`)).status()).toBe(410)
  await computerContext.close()
})

test('an expired code says so on both sides and offers a new one', async ({
  browser,
  page: phone,
}) => {
  const computerContext = await desktop(browser)
  const computer = await computerContext.newPage()
  const { url, id } = await showCode(computer)
  await ageRequest(id)
  await expect(computer.getByTestId('qr-status')).toHaveText('二维码已失效')
  await expect(computer.getByRole('button', { name: '刷新二维码' })).toBeVisible()

  await emulator.nextUser('normal')
  await toConsentSheet(phone, url)
  await phone.getByRole('button', { name: '允许' }).click()
  await expect(phone.getByRole('heading', { name: '二维码已失效' })).toBeVisible()
  await expect(phone.getByRole('button', { name: '确认登录' })).toHaveCount(0)
  await computerContext.close()
})

test('a third browser that knows the id learns nothing and gets no session; seconds lose', async ({
  browser,
  page: phone,
  playwright,
}) => {
  const computerContext = await desktop(browser)
  const computer = await computerContext.newPage()
  // Hold the computer's polls, so that this test collects the sign-in itself.
  await computer.route('**/api/qr-login/*', (route) =>
    route.request().method() === 'GET' ? route.abort() : route.continue(),
  )
  const { url, id } = await showCode(computer)
  const stranger = await playwright.request.newContext({ baseURL: APP_URL })

  const peek = await stranger.get(`/api/qr-login/${id}`)
  expect(peek.status()).toBe(404)
  expect(await errorCode(peek)).toBe('not_found')

  await scan(phone, url)
  await phone.getByRole('button', { name: '确认登录' }).click()
  await expect(phone.getByRole('heading', { name: '已确认登录' })).toBeVisible()

  // A second confirm loses.
  const again = await phone.request.post(`/api/qr-login/${id}/confirm`)
  expect(again.status()).toBe(409)
  expect(await errorCode(again)).toBe('qr_taken')

  // Confirmed, and still nothing for the stranger: no status, no user, no cookie.
  const late = await stranger.get(`/api/qr-login/${id}`)
  expect(late.status()).toBe(404)
  expect(await late.text()).not.toContain('openid')
  expect(late.headers()['set-cookie']).toBeUndefined()
  expect((await stranger.get('/api/session')).status()).toBe(401)

  // The computer's first collect wins, the second finds the request used up.
  const collected = await computerContext.request.get(`/api/qr-login/${id}`)
  expect(collected.status()).toBe(200)
  const body = (await collected.json()) as { status: string; user?: { nickname: string } }
  expect(body.status).toBe('confirmed')
  expect(body.user?.nickname).toBe('微信用户小明')
  expect(collected.headers()['set-cookie']).toMatch(/^wx_session=/)
  const second = await computerContext.request.get(`/api/qr-login/${id}`)
  expect(await second.json()).toEqual({ status: 'expired' })
  expect(second.headers()['set-cookie']).toBeUndefined()
  expect((await computerContext.request.get('/api/session')).status()).toBe(200)

  await stranger.dispose()
  await computerContext.close()
})
