import type { LoginErrorCode } from '@contract'
import type { RouteName } from '@/router/names'

/** What the user can do about a failure; the page shows the matching button. */
export type ErrorAction = 'retry' | 'contact' | 'wait'

export interface ErrorText {
  title: string
  message: string
  action: ErrorAction
}

const invalidRequest: ErrorText = {
  title: '登录请求无效',
  message: '这次登录请求不完整，请重新登录。',
  action: 'retry',
}

const errors: Record<LoginErrorCode, ErrorText> = {
  access_denied: {
    title: '你已拒绝授权',
    message: '查看资料需要获取你的微信昵称和头像。如需继续，请重新授权并点击「允许」。',
    action: 'retry',
  },
  state_invalid: {
    title: '登录已失效',
    message: '这次登录不是从本页面发起的，或已超过 10 分钟。为保护你的账号，请重新登录。',
    action: 'retry',
  },
  network_error: {
    title: '网络不给力',
    message: '无法连接服务器，请检查网络后重试。',
    action: 'retry',
  },
  not_configured: {
    title: '服务暂不可用',
    message: '服务配置有误，暂时无法登录。请联系公众号管理员。',
    action: 'contact',
  },
  bad_request: invalidRequest,
  method_not_allowed: invalidRequest,
  unsupported_media_type: invalidRequest,
  payload_too_large: invalidRequest,
  not_found: invalidRequest,
  not_signed_in: {
    title: '登录已过期',
    message: '请重新登录后查看。',
    action: 'retry',
  },
  reauth_required: {
    title: '需要重新授权',
    message: '微信授权已过期，请重新授权后刷新资料。',
    action: 'retry',
  },
  invalid_code: {
    title: '授权已过期',
    message: '微信授权已失效或已过期，请重新登录。',
    action: 'retry',
  },
  qr_expired: {
    title: '二维码已失效',
    message: '这个登录二维码已过期、已使用或已取消。请在电脑上刷新二维码后重新扫码。',
    action: 'wait',
  },
  qr_taken: {
    title: '二维码已被使用',
    message: '这个登录二维码已被其他微信扫描或已处理。请在电脑上刷新二维码后重新扫码。',
    action: 'wait',
  },
  profile_required: {
    title: '需要授权',
    message: '首次登录需要获取你的微信头像和昵称，请点击按钮授权。',
    action: 'retry',
  },
  code_used: {
    title: '授权已使用',
    message: '这次微信授权已经用过了，请重新登录。',
    action: 'retry',
  },
  snapshot_user: {
    title: '请使用完整服务',
    message: '你正在浏览朋友圈快照页，无法登录。请点击屏幕底部的「使用完整服务」后再试。',
    action: 'wait',
  },
  scope_unauthorized: {
    title: '未获得资料权限',
    message: '这次授权没有包含昵称和头像，请重新授权。',
    action: 'retry',
  },
  wechat_busy: {
    title: '微信繁忙',
    message: '微信服务繁忙，请稍后重试。',
    action: 'retry',
  },
  wechat_rate_limited: {
    title: '请求太频繁',
    message: '登录的人太多了，请一分钟后重试。',
    action: 'retry',
  },
  wechat_unavailable: {
    title: '无法连接微信',
    message: '暂时无法连接微信服务器，请稍后重试。',
    action: 'retry',
  },
  wechat_rejected: {
    title: '微信拒绝了登录',
    message: '微信没有通过这次登录，请重新登录。',
    action: 'retry',
  },
  misconfigured: {
    title: '服务配置有误',
    message: '服务暂时无法登录，请联系公众号管理员。',
    action: 'contact',
  },
  internal: {
    title: '出错了',
    message: '服务出现异常，请稍后重试。',
    action: 'retry',
  },
}

const titles: Record<RouteName, string> = {
  home: '微信登录',
  profile: '我的资料',
  callback: '正在登录',
  'open-in-wechat': '请在微信中打开',
  'qr-login': '微信扫码登录',
  'qr-confirm': '确认电脑登录',
  welcome: '使用微信头像昵称',
}

export const zhCN = {
  titles,
  loading: '正在加载…',
  language: '语言',
  home: {
    title: '微信登录',
    lead: '使用微信授权登录后，即可查看你的微信头像、昵称等资料。',
    login: '微信授权登录',
    profile: '查看我的资料',
    note: '登录即表示你同意本应用获取你的微信公开信息（昵称、头像）。',
  },
  signIn: {
    pending: '正在登录…',
    retry: '重新登录',
    home: '返回首页',
    contact: '如问题持续，请联系公众号管理员。',
  },
  profile: {
    title: '我的资料',
    avatarAlt: (nickname: string) => (nickname ? `${nickname}的头像` : '微信头像'),
    noNickname: '（未获取昵称）',
    sex: '性别',
    region: '地区',
    privilege: '特权',
    openid: 'OpenID',
    unionid: 'UnionID',
    scope: '授权范围',
    notProvided: '微信未提供',
    listSeparator: '、',
    none: '无',
    sexNames: ['未知', '男', '女'] satisfies [string, string, string],
    scopes: { snsapi_userinfo: '昵称和头像', snsapi_base: '仅身份（静默授权）' },
    signOut: '退出登录',
    signOutAll: '退出所有设备',
    signingOut: '正在退出…',
    refresh: '刷新资料',
    refreshing: '正在刷新…',
    refreshed: '资料已更新',
    reauthorizing: '授权已过期，正在前往微信重新授权…',
  },
  share: {
    title: '微信授权登录',
    desc: '用微信一键登录，查看你的微信头像、昵称等资料。',
  },
  errors,
}

/** Every locale has exactly these keys. */
export type Messages = typeof zhCN
