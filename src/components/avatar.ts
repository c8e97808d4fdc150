/**
 * WeChat avatars end in a size: /0 (640 px), /46, /64, /96 or /132. 132 px is sharp at
 * the 64 px shown on a 2x phone and a tenth of /0's bytes.
 */
export function avatarAt132(src: string): string {
  return src.replace(/\/(?:0|46|64|96|132)$/, '/132')
}
