import type { Locale } from './detect'

/**
 * The words of the page someone new meets after the silent sign-in: who we are, what the
 * profile is for, and the one button that asks WeChat for it. Apart from the main strings
 * because they travel with that page's chunk.
 */
const zhCN = {
  title: '使用微信头像昵称',
  lead: '微信登录用你的微信头像和昵称生成你的资料页。',
  detail:
    '点击下方按钮后，微信会询问你是否同意。我们只读取头像、昵称和地区，不会获取你的好友或聊天信息，也不会以你的名义发布任何内容。',
  use: '使用微信头像昵称',
  later: '暂不使用',
}

export type WelcomeText = typeof zhCN

export const welcomeText: Record<Locale, WelcomeText> = {
  'zh-CN': zhCN,
  'zh-TW': {
    title: '使用微信頭像暱稱',
    lead: '微信登入用你的微信頭像和暱稱產生你的資料頁。',
    detail:
      '點擊下方按鈕後，微信會詢問你是否同意。我們只讀取頭像、暱稱和地區，不會取得你的好友或聊天資訊，也不會以你的名義發佈任何內容。',
    use: '使用微信頭像暱稱',
    later: '暫不使用',
  },
  en: {
    title: 'Use your WeChat photo and name',
    lead: 'WeChat sign-in makes your profile page from your WeChat photo and name.',
    detail:
      'When you tap the button below, WeChat asks whether you agree. We read only your photo, name and region: never your contacts or chats, and we never post anything as you.',
    use: 'Use my WeChat photo and name',
    later: 'Not now',
  },
}
