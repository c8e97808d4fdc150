import type { Locale } from './detect'

/**
 * The words of signing a computer in through the phone: the computer's QR page, the phone's
 * confirmation, and the profile's list of computers. Apart from the main strings because they
 * travel with those pages' chunks.
 */
const zhCN = {
  computer: {
    title: '微信扫码登录',
    lead: '请使用微信扫一扫，扫描上方二维码',
    next: '扫码后，在手机上确认，这台电脑即登录你的账号，最长 7 天。',
    qrAlt: '登录二维码',
    timeLeft: (seconds: number) => `${seconds} 秒后失效`,
    scanned: '扫码成功',
    scannedLead: '请在手机微信中确认登录',
    confirmed: '已确认，正在登录…',
    cancelled: '已在手机上取消登录',
    expired: '二维码已失效',
    failed: '无法获取二维码，请检查网络后重试',
    refresh: '刷新二维码',
    continueAnyway: '在此浏览器中继续（仅限开发环境）',
  },
  phone: {
    title: '确认电脑登录',
    loading: '正在读取登录请求…',
    lead: '一台电脑正在请求登录你的微信账号：',
    browser: '浏览器',
    system: '系统',
    address: '网络地址',
    time: '请求时间',
    unknown: '未知',
    warning:
      '只有在你刚刚扫描了自己电脑屏幕上的二维码时，才点「确认登录」。如果二维码是别人发给你的，有人可能正试图盗用你的账号，请点「取消」。',
    otherNetwork: '注意：手机和这台电脑的网络地址不同。如果这台电脑不在你身边，请点「取消」。',
    confirm: '确认登录',
    cancel: '取消',
    confirming: '正在确认…',
    cancelling: '正在取消…',
    confirmed: '已确认登录',
    confirmedLead: '电脑将自动登录。你可以在「我的资料」中随时让它退出。',
    cancelled: '已取消登录',
    cancelledLead: '这台电脑不会登录你的账号。',
    toProfile: '查看我的资料',
  },
  computers: {
    title: '通过扫码登录的电脑',
    signOut: '退出该设备',
    signingOut: '正在退出…',
    signedInAt: (when: string) => `登录于 ${when}`,
    failed: '操作失败，请稍后重试',
  },
}

export type QrLoginText = typeof zhCN

export const qrLoginText: Record<Locale, QrLoginText> = {
  'zh-CN': zhCN,
  'zh-TW': {
    computer: {
      title: '微信掃碼登入',
      lead: '請使用微信掃一掃，掃描上方 QR 碼',
      next: '掃碼後，在手機上確認，這台電腦即登入你的帳號，最長 7 天。',
      qrAlt: '登入 QR 碼',
      timeLeft: (seconds) => `${seconds} 秒後失效`,
      scanned: '掃碼成功',
      scannedLead: '請在手機微信中確認登入',
      confirmed: '已確認，正在登入…',
      cancelled: '已在手機上取消登入',
      expired: 'QR 碼已失效',
      failed: '無法取得 QR 碼，請檢查網路後重試',
      refresh: '重新整理 QR 碼',
      continueAnyway: '在此瀏覽器中繼續（僅限開發環境）',
    },
    phone: {
      title: '確認電腦登入',
      loading: '正在讀取登入請求…',
      lead: '一台電腦正在請求登入你的微信帳號：',
      browser: '瀏覽器',
      system: '系統',
      address: '網路位址',
      time: '請求時間',
      unknown: '未知',
      warning:
        '只有在你剛剛掃描了自己電腦螢幕上的 QR 碼時，才點「確認登入」。如果 QR 碼是別人傳給你的，可能有人正試圖盜用你的帳號，請點「取消」。',
      otherNetwork: '注意：手機和這台電腦的網路位址不同。如果這台電腦不在你身邊，請點「取消」。',
      confirm: '確認登入',
      cancel: '取消',
      confirming: '正在確認…',
      cancelling: '正在取消…',
      confirmed: '已確認登入',
      confirmedLead: '電腦將自動登入。你可以在「我的資料」中隨時讓它登出。',
      cancelled: '已取消登入',
      cancelledLead: '這台電腦不會登入你的帳號。',
      toProfile: '查看我的資料',
    },
    computers: {
      title: '透過掃碼登入的電腦',
      signOut: '登出該裝置',
      signingOut: '正在登出…',
      signedInAt: (when) => `登入於 ${when}`,
      failed: '操作失敗，請稍後重試',
    },
  },
  en: {
    computer: {
      title: 'Sign in with WeChat',
      lead: 'Scan the QR code above with WeChat',
      next: 'Then confirm on your phone, and this computer is signed in to your account for up to 7 days.',
      qrAlt: 'Sign-in QR code',
      timeLeft: (seconds) => `Expires in ${seconds} s`,
      scanned: 'Scanned',
      scannedLead: 'Confirm the sign-in in WeChat on your phone',
      confirmed: 'Confirmed, signing in…',
      cancelled: 'The sign-in was cancelled on the phone',
      expired: 'This QR code is no longer valid',
      failed: 'Could not get a QR code. Check the network and try again.',
      refresh: 'New QR code',
      continueAnyway: 'Continue in this browser (development only)',
    },
    phone: {
      title: 'Confirm sign-in on a computer',
      loading: 'Reading the sign-in request…',
      lead: 'A computer is asking to sign in to your WeChat account:',
      browser: 'Browser',
      system: 'System',
      address: 'Network address',
      time: 'Asked at',
      unknown: 'Unknown',
      warning:
        'Confirm only if you just scanned the screen of your own computer. If someone sent you this code, they may be trying to take over your account: tap Cancel.',
      otherNetwork:
        'Note: your phone and this computer are on different networks. If the computer is not next to you, tap Cancel.',
      confirm: 'Confirm sign-in',
      cancel: 'Cancel',
      confirming: 'Confirming…',
      cancelling: 'Cancelling…',
      confirmed: 'Sign-in confirmed',
      confirmedLead:
        'The computer will sign in now. You can sign it out from your profile at any time.',
      cancelled: 'Sign-in cancelled',
      cancelledLead: 'The computer will not be signed in.',
      toProfile: 'View my profile',
    },
    computers: {
      title: 'Computers signed in by scanning',
      signOut: 'Sign out this device',
      signingOut: 'Signing out…',
      signedInAt: (when) => `Signed in ${when}`,
      failed: 'That did not work. Please try again later.',
    },
  },
}
