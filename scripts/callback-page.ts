import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import type { Plugin } from 'vite'
import { CALLBACK_PATH, SIGNING_IN_SHELL } from '../src/auth/callback.ts'

/** The page WeChat's redirect lands on: netlify.toml serves it at CALLBACK_PATH. */
const CALLBACK_HTML = 'callback.html'
/** Its first script: sends the code before the app has arrived. */
const ARRIVAL = 'src/arrival.ts'
/** The pages a sign-in shows (正在登录…, then the profile): lazy routes elsewhere. */
const SIGN_IN_PAGES = ['src/views/SignInView.vue', 'src/views/ProfileView.vue']

/** A <script> tag in front of the page's others, so the browser requests it first. */
function withScript(html: string, src: string): string {
  const tag = `<script type="module" crossorigin src="${src}"></script>`
  const at = html.search(/<script\b/)
  if (at < 0) return html.replace('</head>', `  ${tag}\n  </head>`)
  return `${html.slice(0, at)}${tag}\n    ${html.slice(at)}`
}

/** index.html made the callback page: the arrival script first, the shell in #app. */
function callbackHtml(index: string, arrivalSrc: string): string {
  return withScript(index, arrivalSrc).replace(
    '<div id="app"></div>',
    `<div id="app">${SIGNING_IN_SHELL}</div>`,
  )
}

/** The arrival script as one file with no imports, and a content-hashed name for it. */
async function bundleArrival(root: string): Promise<{ fileName: string; code: string }> {
  const src = join(root, 'src')
  const result = await build({
    entryPoints: [join(root, ARRIVAL)],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'none',
    plugins: [
      {
        // The app's `@/` alias (vite.config.ts), for esbuild.
        name: 'src-alias',
        setup(esbuild) {
          esbuild.onResolve({ filter: /^@\// }, (args) =>
            esbuild.resolve(`./${args.path.slice(2)}`, { resolveDir: src, kind: args.kind }),
          )
        },
      },
    ],
  })
  const code = result.outputFiles[0]!.text
  const hash = createHash('sha256').update(code).digest('base64url').slice(0, 8)
  return { fileName: `assets/arrival-${hash}.js`, code }
}

/**
 * Adds callback.html to the build: index.html's page, made fast for WeChat's redirect on a
 * slow link (netlify.toml serves it at /auth/callback):
 *
 * - its first script is src/arrival.ts, which runs without the app. Vite joins every
 *   module script of a page into one entry, and no module of an entry runs until the whole
 *   graph has arrived, so a second <script> in the HTML would still wait for Vue. The
 *   arrival script is therefore bundled apart (esbuild, about 1 KB gzip, no imports) and
 *   placed in front; it hands its request to the app through `auth/arrival.ts`'s global
 *   slot. In development each script is its own module already, so the source is linked.
 * - #app holds 正在登录… from the HTML, which the arrival script replaces with the
 *   profile's head once the sign-in answers (auth/early-profile.ts), and the app's mount
 *   with its first page.
 * - the two pages a sign-in shows are preloaded: the router would fetch them one after the
 *   other, after the app; named in the page, they download beside it.
 *
 * A root without src/arrival.ts (the benchmark's floor app) builds as a plain Vite app.
 */
export function callbackPage(): Plugin {
  let command: 'build' | 'serve' = 'serve'
  let root = process.cwd()
  return {
    name: 'wechat-login:callback-page',
    enforce: 'post',
    configResolved(config) {
      command = config.command
      root = config.root
    },
    transformIndexHtml(html, context) {
      const path = (context.originalUrl ?? context.path).split('?')[0]
      const isCallback = path === `/${CALLBACK_HTML}` || path === CALLBACK_PATH
      if (command !== 'serve' || !isCallback) return html
      return callbackHtml(html, `/${ARRIVAL}`)
    },
    async generateBundle(_, bundle) {
      const index = bundle['index.html']
      if (!index || index.type !== 'asset' || !existsSync(join(root, ARRIVAL))) return
      const pages = Object.values(bundle)
        .filter((chunk) => chunk.type === 'chunk')
        .filter((chunk) => SIGN_IN_PAGES.some((path) => chunk.facadeModuleId === join(root, path)))
      // Each page's stylesheet too: the router would add it only when the page is asked for.
      const styles = pages.flatMap((chunk) => [...(chunk.viteMetadata?.importedCss ?? [])])
      const preloads = [
        ...styles.map((file) => `<link rel="stylesheet" crossorigin href="/${file}">`),
        ...pages.map((chunk) => `<link rel="modulepreload" crossorigin href="/${chunk.fileName}">`),
      ]
      if (pages.length !== SIGN_IN_PAGES.length) {
        this.error(`${CALLBACK_HTML}: found ${pages.length} of ${SIGN_IN_PAGES.join(', ')}`)
      }
      const arrival = await bundleArrival(root)
      this.emitFile({ type: 'asset', fileName: arrival.fileName, source: arrival.code })
      this.emitFile({
        type: 'asset',
        fileName: CALLBACK_HTML,
        source: callbackHtml(String(index.source), `/${arrival.fileName}`).replace(
          '</head>',
          `  ${preloads.join('\n    ')}\n  </head>`,
        ),
      })
    },
  }
}
