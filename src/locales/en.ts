import type { LoginErrorCode } from '@contract'
import type { ErrorText, Messages } from './zh-CN'

const invalidRequest: ErrorText = {
  title: 'Invalid sign-in request',
  message: 'This sign-in request was incomplete. Please sign in again.',
  action: 'retry',
}

const errors: Record<LoginErrorCode, ErrorText> = {
  access_denied: {
    title: 'You declined',
    message:
      'Showing your profile needs your WeChat name and profile photo. To continue, authorize again and tap “Allow”.',
    action: 'retry',
  },
  state_invalid: {
    title: 'Sign-in expired',
    message:
      'This sign-in was not started from this page, or took longer than 10 minutes. To protect your account, please sign in again.',
    action: 'retry',
  },
  network_error: {
    title: 'Connection problem',
    message: 'Cannot reach the server. Check your connection and try again.',
    action: 'retry',
  },
  not_configured: {
    title: 'Service unavailable',
    message:
      'The service is not set up correctly, so signing in is not possible. Please contact the Official Account’s administrator.',
    action: 'contact',
  },
  bad_request: invalidRequest,
  method_not_allowed: invalidRequest,
  unsupported_media_type: invalidRequest,
  payload_too_large: invalidRequest,
  not_found: invalidRequest,
  not_signed_in: {
    title: 'Session expired',
    message: 'Please sign in again to see this page.',
    action: 'retry',
  },
  reauth_required: {
    title: 'Authorize again',
    message: 'Your WeChat authorization has expired. Authorize again to refresh your profile.',
    action: 'retry',
  },
  invalid_code: {
    title: 'Authorization expired',
    message: 'The WeChat authorization is invalid or has expired. Please sign in again.',
    action: 'retry',
  },
  qr_expired: {
    title: 'QR code no longer valid',
    message:
      'This sign-in QR code has expired, been used or been cancelled. Refresh it on the computer and scan again.',
    action: 'wait',
  },
  qr_taken: {
    title: 'QR code already in use',
    message:
      'Someone else scanned this sign-in QR code, or it was already handled. Refresh it on the computer and scan again.',
    action: 'wait',
  },
  profile_required: {
    title: 'Permission needed',
    message: 'The first sign-in needs your WeChat avatar and nickname. Tap the button to allow it.',
    action: 'retry',
  },
  code_used: {
    title: 'Authorization already used',
    message: 'This WeChat authorization has already been used. Please sign in again.',
    action: 'retry',
  },
  snapshot_user: {
    title: 'Use the full service',
    message:
      'You are viewing a Moments preview page, where signing in is not possible. Tap “Use full service” at the bottom of the screen, then try again.',
    action: 'wait',
  },
  scope_unauthorized: {
    title: 'No access to your profile',
    message:
      'This authorization did not include your name and profile photo. Please authorize again.',
    action: 'retry',
  },
  wechat_busy: {
    title: 'WeChat is busy',
    message: 'WeChat is busy right now. Please try again later.',
    action: 'retry',
  },
  wechat_rate_limited: {
    title: 'Too many requests',
    message: 'Too many people are signing in. Please try again in a minute.',
    action: 'retry',
  },
  wechat_unavailable: {
    title: 'Cannot reach WeChat',
    message: 'The WeChat servers cannot be reached right now. Please try again later.',
    action: 'retry',
  },
  wechat_rejected: {
    title: 'WeChat refused the sign-in',
    message: 'WeChat did not accept this sign-in. Please sign in again.',
    action: 'retry',
  },
  misconfigured: {
    title: 'Service misconfigured',
    message:
      'Signing in is not possible right now. Please contact the Official Account’s administrator.',
    action: 'contact',
  },
  internal: {
    title: 'Something went wrong',
    message: 'The service ran into a problem. Please try again later.',
    action: 'retry',
  },
}

export const en: Messages = {
  titles: {
    home: 'WeChat sign-in',
    profile: 'My profile',
    callback: 'Signing in',
    'open-in-wechat': 'Open in WeChat',
    'qr-login': 'Sign in with WeChat',
    'qr-confirm': 'Confirm sign-in on a computer',
    welcome: 'Use your WeChat photo and name',
  },
  loading: 'Loading…',
  language: 'Language',
  home: {
    title: 'WeChat sign-in',
    lead: 'Sign in with WeChat to see your WeChat profile photo, name and more.',
    login: 'Sign in with WeChat',
    profile: 'View my profile',
    note: 'By signing in you allow this app to read your public WeChat information (name and profile photo).',
  },
  signIn: {
    pending: 'Signing in…',
    retry: 'Sign in again',
    home: 'Back to home',
    contact: 'If this keeps happening, contact the Official Account’s administrator.',
  },
  profile: {
    title: 'My profile',
    avatarAlt: (nickname: string) =>
      nickname ? `${nickname}’s profile photo` : 'WeChat profile photo',
    noNickname: '(no name received)',
    sex: 'Gender',
    region: 'Region',
    privilege: 'Privileges',
    openid: 'OpenID',
    unionid: 'UnionID',
    scope: 'Access',
    notProvided: 'Not provided by WeChat',
    listSeparator: ', ',
    none: 'None',
    sexNames: ['Unknown', 'Male', 'Female'],
    scopes: { snsapi_userinfo: 'Name and profile photo', snsapi_base: 'Identity only (silent)' },
    signOut: 'Sign out',
    signOutAll: 'Sign out on all devices',
    signingOut: 'Signing out…',
    refresh: 'Refresh profile',
    refreshing: 'Refreshing…',
    refreshed: 'Profile updated',
    reauthorizing: 'Your authorization has expired. Taking you to WeChat to authorize again…',
  },
  share: {
    title: 'Sign in with WeChat',
    desc: 'Sign in with one tap and see your WeChat profile photo, name and more.',
  },
  errors,
}
