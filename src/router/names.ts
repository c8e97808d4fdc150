/** Every named route; the locale files title pages by these names. */
export type RouteName =
  'home' | 'profile' | 'callback' | 'open-in-wechat' | 'qr-login' | 'qr-confirm' | 'welcome'
