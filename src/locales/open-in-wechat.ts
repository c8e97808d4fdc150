import type { Locale } from './detect'

/**
 * The words of the "open in WeChat" page, in every language. Apart from the main strings
 * because only a browser outside WeChat shows that page: they travel with its chunk.
 */
const zhCN = {
  browser: {
    title: '请在微信中打开',
    lead: '用微信扫一扫上方二维码，即可在微信中继续',
  },
  wecom: {
    title: '请在微信中打开',
    lead: '企业微信不支持微信公众号登录，请复制链接后在微信中打开',
  },
  miniprogram: {
    title: '请在公众号中打开',
    lead: '小程序中的网页无法使用公众号网页授权登录，请复制链接后在微信聊天或公众号中打开',
  },
  qrAlt: '当前页面的二维码',
  copy: '复制链接',
  copied: '已复制',
  copyFailed: '无法自动复制，请长按或选中上方链接手动复制',
  continueAnyway: '继续（仅限开发环境）',
}

export type OpenInWechatText = typeof zhCN

export const openInWechatText: Record<Locale, OpenInWechatText> = {
  'zh-CN': zhCN,
  'zh-TW': {
    browser: {
      title: '請在微信中開啟',
      lead: '用微信掃一掃上方 QR 碼，即可在微信中繼續',
    },
    wecom: {
      title: '請在微信中開啟',
      lead: '企業微信不支援微信公眾號登入，請複製連結後在微信中開啟',
    },
    miniprogram: {
      title: '請在公眾號中開啟',
      lead: '小程式中的網頁無法使用公眾號網頁授權登入，請複製連結後在微信聊天或公眾號中開啟',
    },
    qrAlt: '目前頁面的 QR 碼',
    copy: '複製連結',
    copied: '已複製',
    copyFailed: '無法自動複製，請長按或選取上方連結手動複製',
    continueAnyway: '繼續（僅限開發環境）',
  },
  en: {
    browser: {
      title: 'Open in WeChat',
      lead: 'Scan the QR code above with WeChat to continue there',
    },
    wecom: {
      title: 'Open in WeChat',
      lead: 'WeCom cannot sign in to WeChat Official Accounts. Copy the link and open it in WeChat',
    },
    miniprogram: {
      title: 'Open from the Official Account',
      lead: 'Pages inside a Mini Program cannot use Official Account sign-in. Copy the link and open it from a WeChat chat or the Official Account',
    },
    qrAlt: 'QR code of this page',
    copy: 'Copy link',
    copied: 'Copied',
    copyFailed: 'Cannot copy automatically. Press and hold, or select the link above to copy it',
    continueAnyway: 'Continue (development only)',
  },
}
