import { expect, test, type Page } from '@playwright/test'
import { APP_URL } from './ports.ts'
import { emulator } from './emulator.ts'
import { forgetSiteUsers } from './site.ts'
import { expectProfilePage } from './profile.ts'
import { signInWithConsent } from './sign-in.ts'
import {
  forgetSiteTicket,
  installWechatBridge,
  jssdk,
  WECHAT_IOS_UA,
  type ShareRecord,
} from './wechat-bridge.ts'

const SHARE_APIS = ['updateAppMessageShareData', 'updateTimelineShareData']

/** The app's card, whichever page sets it. */
const CARD = { title: '微信授权登录', link: `${APP_URL}/`, imgUrl: `${APP_URL}/share-icon.png` }

test.beforeEach(async ({ page }) => {
  await Promise.all([emulator.reset(), forgetSiteTicket(), forgetSiteUsers()])
  await installWechatBridge(page)
  page.on('dialog', (dialog) => {
    throw new Error(`unexpected dialog: ${dialog.message()}`)
  })
})

/** Signs in through /welcome and the emulator's 允许, landing on the profile. */
const signIn = (page: Page) => signInWithConsent(page)

/** Opens the shared link, then goes to the profile inside the app (no page load). */
async function openSharedLinkThenProfile(page: Page, sharesBefore: number) {
  await page.goto('/?from=share')
  await expect.poll(async () => (await jssdk.shares()).length).toBe(sharesBefore + 2)
  await page.locator('.weui-btn-area a').click()
  await expect(page).toHaveURL(`${APP_URL}/profile`)
  await expectProfilePage(page)
}

/** Both cards set on each page, and nothing else. */
function expectCards(shares: ShareRecord[], pages: string[]) {
  expect(shares.map(({ api, page }) => `${api} ${page}`).sort()).toEqual(
    pages
      .flatMap((page) => [`updateAppMessageShareData ${page}`, `updateTimelineShareData ${page}`])
      .sort(),
  )
  for (const share of shares) {
    expect(share).toMatchObject(CARD)
    if (share.api === 'updateAppMessageShareData') expect(share.desc).toBeTruthy()
  }
}

test.describe('iOS WeChat', () => {
  test.use({ userAgent: WECHAT_IOS_UA })

  test('checks the landing URL: one config:ok serves the page navigated to', async ({ page }) => {
    await signIn(page)
    // After the sign-in, the landing URL is WeChat's redirect, code and state included.
    await expect.poll(async () => (await jssdk.verifies()).length).toBe(1)
    const [callback] = await jssdk.verifies()
    expect(callback).toMatchObject({ platform: 'ios', errMsg: 'config:ok' })
    expect(callback!.url).toMatch(/\/auth\/callback\?code=.+&state=/)
    await expect.poll(async () => (await jssdk.shares()).length).toBe(2)

    await openSharedLinkThenProfile(page, 2)
    await expect.poll(async () => (await jssdk.shares()).length).toBe(6)
    // One configuration, against the landing URL, serves the page navigated to.
    expect((await jssdk.verifies()).slice(1)).toEqual([
      {
        url: `${APP_URL}/?from=share`,
        platform: 'ios',
        appId: expect.any(String),
        errMsg: 'config:ok',
      },
    ])
    expectCards((await jssdk.shares()).slice(2), [`${APP_URL}/?from=share`, `${APP_URL}/profile`])
  })
})

test('Android WeChat checks the current URL on each page', async ({ page }) => {
  await signIn(page)
  // The profile the sign-in lands on is configured (once) and sets its cards first.
  await expect.poll(async () => (await jssdk.shares()).length).toBe(2)
  const before = (await jssdk.verifies()).length
  const sharesBefore = 2
  await openSharedLinkThenProfile(page, sharesBefore)
  await expect.poll(async () => (await jssdk.shares()).length).toBe(sharesBefore + 4)
  const verifies = (await jssdk.verifies()).slice(before)
  expect(verifies.map(({ url, errMsg, platform }) => ({ url, errMsg, platform }))).toEqual([
    { url: `${APP_URL}/?from=share`, errMsg: 'config:ok', platform: 'android' },
    { url: `${APP_URL}/profile`, errMsg: 'config:ok', platform: 'android' },
  ])
  expectCards((await jssdk.shares()).slice(sharesBefore), [
    `${APP_URL}/?from=share`,
    `${APP_URL}/profile`,
  ])
})

/**
 * The emulator's verification answers `config:invalid signature` once, through its control
 * switch: the site signs correctly whatever URL it is given, so landing on another URL would
 * not make it fail. The app then signs the realAuthUrl the bridge names.
 */
async function failOnceThenRetry(page: Page) {
  await jssdk.force('config:invalid signature', 1)
  await page.goto('/?from=share')
  await expect(page.locator('.weui-btn-area a')).toBeVisible()
  await expect.poll(async () => (await jssdk.verifies()).length).toBe(2)
}

test('after one invalid signature the app signs the realAuthUrl and gets config:ok', async ({
  page,
}) => {
  await failOnceThenRetry(page)
  const verifies = await jssdk.verifies()
  expect(verifies.map(({ url, errMsg, forced }) => ({ url, errMsg, forced }))).toEqual([
    { url: `${APP_URL}/?from=share`, errMsg: 'config:invalid signature', forced: true },
    { url: `${APP_URL}/?from=share`, errMsg: 'config:ok', forced: undefined },
  ])
})

// After the failed config jweixin runs wx.ready's callbacks at once, before the second
// verification has passed, and the bridge (as WeChat) refuses the card; the app sets it again.
// Perhaps twice: the ready callbacks of the failed config and of the retried one both try.
test('after the retry the card is set', async ({ page }) => {
  await failOnceThenRetry(page)
  const apis = async () => new Set((await jssdk.shares()).map(({ api }) => api))
  await expect.poll(apis, { timeout: 3000 }).toEqual(new Set(SHARE_APIS))
  for (const share of await jssdk.shares()) {
    expect(share).toMatchObject({ ...CARD, page: `${APP_URL}/?from=share` })
  }
})

test('when the bridge answers an error twice, the page still works', async ({ page }) => {
  const warnings: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text())
  })
  await jssdk.force('config:invalid signature', 2)
  await signIn(page)
  await expect.poll(() => warnings).toContain('WeChat JS-SDK: config:invalid signature')
  const verifies = await jssdk.verifies()
  expect(verifies.map(({ errMsg }) => errMsg)).toEqual([
    'config:invalid signature',
    'config:invalid signature',
  ])
  expect(await jssdk.shares()).toEqual([])
  await expectProfilePage(page)
})
