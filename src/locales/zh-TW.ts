import type { LoginErrorCode } from '@contract'
import type { ErrorText, Messages } from './zh-CN'

const invalidRequest: ErrorText = {
  title: '登入請求無效',
  message: '這次登入請求不完整，請重新登入。',
  action: 'retry',
}

const errors: Record<LoginErrorCode, ErrorText> = {
  access_denied: {
    title: '你已拒絕授權',
    message: '查看資料需要取得你的微信暱稱和頭像。如需繼續，請重新授權並點選「允許」。',
    action: 'retry',
  },
  state_invalid: {
    title: '登入已失效',
    message: '這次登入不是從本頁面發起的，或已超過 10 分鐘。為保護你的帳號，請重新登入。',
    action: 'retry',
  },
  network_error: {
    title: '網路不穩定',
    message: '無法連線到伺服器，請檢查網路後重試。',
    action: 'retry',
  },
  not_configured: {
    title: '服務暫不可用',
    message: '服務設定有誤，暫時無法登入。請聯絡公眾號管理員。',
    action: 'contact',
  },
  bad_request: invalidRequest,
  method_not_allowed: invalidRequest,
  unsupported_media_type: invalidRequest,
  payload_too_large: invalidRequest,
  not_found: invalidRequest,
  not_signed_in: {
    title: '登入已過期',
    message: '請重新登入後查看。',
    action: 'retry',
  },
  reauth_required: {
    title: '需要重新授權',
    message: '微信授權已過期，請重新授權後重新整理資料。',
    action: 'retry',
  },
  invalid_code: {
    title: '授權已過期',
    message: '微信授權已失效或已過期，請重新登入。',
    action: 'retry',
  },
  qr_expired: {
    title: 'QR 碼已失效',
    message: '這個登入 QR 碼已過期、已使用或已取消。請在電腦上重新整理 QR 碼後再掃描。',
    action: 'wait',
  },
  qr_taken: {
    title: 'QR 碼已被使用',
    message: '這個登入 QR 碼已被其他微信掃描或已處理。請在電腦上重新整理 QR 碼後再掃描。',
    action: 'wait',
  },
  profile_required: {
    title: '需要授權',
    message: '首次登入需要取得你的微信頭像和暱稱，請點擊按鈕授權。',
    action: 'retry',
  },
  code_used: {
    title: '授權已使用',
    message: '這次微信授權已經用過了，請重新登入。',
    action: 'retry',
  },
  snapshot_user: {
    title: '請使用完整服務',
    message: '你正在瀏覽朋友圈快照頁，無法登入。請點選螢幕底部的「使用完整服務」後再試。',
    action: 'wait',
  },
  scope_unauthorized: {
    title: '未取得資料權限',
    message: '這次授權沒有包含暱稱和頭像，請重新授權。',
    action: 'retry',
  },
  wechat_busy: {
    title: '微信忙碌中',
    message: '微信服務忙碌，請稍後重試。',
    action: 'retry',
  },
  wechat_rate_limited: {
    title: '請求太頻繁',
    message: '登入的人太多了，請一分鐘後重試。',
    action: 'retry',
  },
  wechat_unavailable: {
    title: '無法連線微信',
    message: '暫時無法連線到微信伺服器，請稍後重試。',
    action: 'retry',
  },
  wechat_rejected: {
    title: '微信拒絕了登入',
    message: '微信沒有通過這次登入，請重新登入。',
    action: 'retry',
  },
  misconfigured: {
    title: '服務設定有誤',
    message: '服務暫時無法登入，請聯絡公眾號管理員。',
    action: 'contact',
  },
  internal: {
    title: '發生錯誤',
    message: '服務出現異常，請稍後重試。',
    action: 'retry',
  },
}

export const zhTW: Messages = {
  titles: {
    home: '微信登入',
    profile: '我的資料',
    callback: '正在登入',
    'open-in-wechat': '請在微信中開啟',
    'qr-login': '微信掃碼登入',
    'qr-confirm': '確認電腦登入',
    welcome: '使用微信頭像暱稱',
  },
  loading: '正在載入…',
  language: '語言',
  home: {
    title: '微信登入',
    lead: '使用微信授權登入後，即可查看你的微信頭像、暱稱等資料。',
    login: '微信授權登入',
    profile: '查看我的資料',
    note: '登入即表示你同意本應用程式取得你的微信公開資訊（暱稱、頭像）。',
  },
  signIn: {
    pending: '正在登入…',
    retry: '重新登入',
    home: '返回首頁',
    contact: '如問題持續，請聯絡公眾號管理員。',
  },
  profile: {
    title: '我的資料',
    avatarAlt: (nickname: string) => (nickname ? `${nickname}的頭像` : '微信頭像'),
    noNickname: '（未取得暱稱）',
    sex: '性別',
    region: '地區',
    privilege: '特權',
    openid: 'OpenID',
    unionid: 'UnionID',
    scope: '授權範圍',
    notProvided: '微信未提供',
    listSeparator: '、',
    none: '無',
    sexNames: ['未知', '男', '女'],
    scopes: { snsapi_userinfo: '暱稱和頭像', snsapi_base: '僅身分（靜默授權）' },
    signOut: '登出',
    signOutAll: '登出所有裝置',
    signingOut: '正在登出…',
    refresh: '重新整理資料',
    refreshing: '正在重新整理…',
    refreshed: '資料已更新',
    reauthorizing: '授權已過期，正在前往微信重新授權…',
  },
  share: {
    title: '微信授權登入',
    desc: '用微信一鍵登入，查看你的微信頭像、暱稱等資料。',
  },
  errors,
}
