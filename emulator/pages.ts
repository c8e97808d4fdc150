import type { TestUser, TestUserId } from './users'
import { pageError, type PageError } from './wechat'

/** Escapes text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const STYLE = `
*{box-sizing:border-box}
html,body{margin:0;min-height:100%;-webkit-text-size-adjust:100%}
body{font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Helvetica Neue","Microsoft YaHei",sans-serif;font-size:17px;color:rgba(0,0,0,.9);background:#fff}
.msg{padding:96px 32px 32px;text-align:center}
.msg-icon{width:64px;height:64px}
.msg-text{margin:24px 0 0;line-height:1.5;word-break:break-all}
.btn{display:block;width:184px;margin:32px auto 0;padding:10px 0;border:0;border-radius:8px;font-size:17px;font-weight:600;line-height:1.4;cursor:pointer}
.btn-primary{background:#07c160;color:#fff}
.btn-default{background:#f2f2f2;color:#06ae56}
.btn:disabled{opacity:.6}
.consent{background:rgba(0,0,0,.6);min-height:100vh}
.sheet{position:fixed;left:0;right:0;bottom:0;max-height:90vh;overflow:auto;padding:24px 24px calc(24px + env(safe-area-inset-bottom));border-radius:12px 12px 0 0;background:#fff}
.app{display:flex;align-items:center;gap:8px;margin:0;font-size:15px;font-weight:400}
.app-icon{display:inline-flex;align-items:center;justify-content:center;width:24px;height:24px;border-radius:50%;background:#07c160;color:#fff;font-size:13px}
.ask{margin:20px 0 16px;font-size:17px;font-weight:600;line-height:1.5}
.users{margin:0;padding:0;border:0}
.users legend{padding:0;margin-bottom:4px;font-size:14px;color:rgba(0,0,0,.5)}
.user{display:flex;align-items:center;gap:12px;padding:12px 0;border-bottom:1px solid rgba(0,0,0,.1)}
.user input{accent-color:#07c160;width:18px;height:18px;margin:0}
.avatar{flex:none;width:40px;height:40px;border-radius:4px;background:#e5e5e5}
.nickname{flex:1;min-width:0;overflow-wrap:anywhere}
.user-id{font-size:12px;color:rgba(0,0,0,.4)}
.actions{display:flex;gap:16px;justify-content:center;margin-top:24px}
.actions .btn{margin:0;width:120px}
`

const WARN_ICON =
  '<svg class="msg-icon" viewBox="0 0 64 64" aria-hidden="true"><circle cx="32" cy="32" r="32" fill="#fa5151"/><rect x="29" y="14" width="6" height="26" rx="3" fill="#fff"/><circle cx="32" cy="48" r="3.5" fill="#fff"/></svg>'

const INFO_ICON =
  '<svg class="msg-icon" viewBox="0 0 64 64" aria-hidden="true"><circle cx="32" cy="32" r="32" fill="#10aeff"/><circle cx="32" cy="17" r="3.5" fill="#fff"/><rect x="29" y="25" width="6" height="26" rx="3" fill="#fff"/></svg>'

function page(options: { body: string; bodyAttributes?: string; script?: string }): string {
  const script = options.script ? `<script>${options.script}</script>` : ''
  const attributes = options.bodyAttributes ? ` ${options.bodyAttributes}` : ''
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1,user-scalable=no">
<title>微信网页授权</title>
<style>${STYLE}</style>
</head>
<body${attributes}>
${options.body}
${script}
</body>
</html>
`
}

function errorView(error: PageError, icon = WARN_ICON, extra = ''): string {
  const code = escapeHtml(String(error.code))
  return `<main class="msg" data-errcode="${code}">${icon}<p class="msg-text">${escapeHtml(error.text)}</p>${extra}</main>`
}

/**
 * The hash check every page that leads on runs first: browsers never send `#wechat_redirect`
 * to a server, so only the page itself can see that it is missing. The error view is
 * rendered into a template so the script only swaps it in.
 */
const HASH_CHECK = `
const template = document.getElementById('error-view')
const showError = (code, text) => {
  const view = template.content.firstElementChild.cloneNode(true)
  if (code !== undefined) {
    view.dataset.errcode = String(code)
    view.querySelector('.msg-text').textContent = text
  }
  document.body.replaceChildren(view)
}
const hashMissing = location.hash !== '#wechat_redirect'
if (hashMissing) showError()
`

const ERROR_TEMPLATE = `<template id="error-view">${errorView(pageError('missing-hash'))}</template>`

/**
 * An authorize error page like WeChat's: an icon and one line of text. Numbered errors read
 * "TEXT，错误码：N"; `data-errcode` lets tests find the error without parsing that text.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function errorPage(error: PageError): string {
  return page({ body: errorView(error) })
}

/**
 * The page for a link opened outside WeChat. With `allowDesktop`, a dev-only button sets the
 * `emulator_desktop` cookie and reloads, after which the authorize flow goes on.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function notInWechatPage(allowDesktop: boolean): string {
  if (!allowDesktop) return page({ body: errorView(pageError('not-wechat'), INFO_ICON) })
  const button =
    '<button type="button" class="btn btn-default" id="desktop-continue">继续（仅限开发环境）</button>'
  return page({
    body: errorView(pageError('not-wechat'), INFO_ICON, button),
    script: `
document.getElementById('desktop-continue').addEventListener('click', () => {
  document.cookie = 'emulator_desktop=1; path=/; SameSite=Lax'
  location.reload()
})
`,
  })
}

/**
 * The silent leg (snsapi_base, the snapshot user): where WeChat would answer 302, the
 * emulator answers this page, whose script checks the hash and then leaves with
 * `location.replace`, so the authorize URL stays out of history as it does after a 302.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function redirectPage(target: string): string {
  return page({
    bodyAttributes: `data-redirect="${escapeHtml(target)}"`,
    body: ERROR_TEMPLATE,
    script: `(() => {${HASH_CHECK}
if (!hashMissing) location.replace(document.body.dataset.redirect)
})()`,
  })
}

function userOption(user: TestUser, checked: boolean): string {
  // The emulator's own copy of the avatar, so the sheet renders offline.
  const avatar = user.headimgurl
    ? `<img class="avatar" src="${escapeHtml(new URL(user.headimgurl).pathname)}" alt="">`
    : '<span class="avatar"></span>'
  return `<label class="user">
<input type="radio" name="user" value="${user.id}"${checked ? ' checked' : ''}>
${avatar}<span class="nickname">${escapeHtml(user.nickname)}</span><span class="user-id">${user.id}</span>
</label>`
}

/**
 * The snsapi_userinfo consent sheet. 允许 and 拒绝 post the decision with the page's own query
 * to `/connect/oauth2/authorize/confirm` and follow the answer with `location.replace`, so
 * the back button never lands on this page again.
 *
 * @see https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
 */
export function consentPage(options: {
  appName: string
  users: readonly TestUser[]
  selected: TestUserId
}): string {
  const users = options.users.map((user) => userOption(user, user.id === options.selected))
  return page({
    bodyAttributes: 'class="consent"',
    body: `<section class="sheet" role="dialog" aria-labelledby="app-name">
<h1 class="app"><span class="app-icon" aria-hidden="true">公</span><span id="app-name">${escapeHtml(options.appName)}</span></h1>
<p class="ask">申请获取以下权限：获得你的公开信息（昵称、头像等）</p>
<fieldset class="users">
<legend>选择测试用户</legend>
${users.join('\n')}
</fieldset>
<div class="actions">
<button type="button" class="btn btn-default" data-decision="deny">拒绝</button>
<button type="button" class="btn btn-primary" data-decision="allow">允许</button>
</div>
</section>
${ERROR_TEMPLATE}`,
    // XMLHttpRequest rather than fetch: the page's script also runs under jsdom in the
    // emulator's tests, and jsdom has no fetch.
    script: `(() => {${HASH_CHECK}
if (hashMissing) return
const buttons = document.querySelectorAll('button[data-decision]')
const setBusy = (busy) => buttons.forEach((button) => { button.disabled = busy })
const decide = (decision) => {
  setBusy(true)
  const chosen = document.querySelector('input[name="user"]:checked')
  const request = new XMLHttpRequest()
  request.open('POST', '/connect/oauth2/authorize/confirm')
  request.setRequestHeader('Content-Type', 'application/json')
  request.onload = () => {
    let answer = null
    try { answer = JSON.parse(request.responseText) } catch { answer = null }
    if (request.status === 200 && answer && typeof answer.redirect === 'string') {
      location.replace(answer.redirect)
    } else {
      showError(answer && answer.code ? answer.code : request.status, answer && answer.error ? answer.error : '授权失败，请稍后重试')
    }
  }
  request.onerror = () => setBusy(false)
  request.send(JSON.stringify({ query: location.search.slice(1), user: chosen ? chosen.value : null, decision }))
}
buttons.forEach((button) => button.addEventListener('click', () => decide(button.dataset.decision)))
})()`,
  })
}
