import type { Plugin } from 'vite'

/**
 * V8's explicit compile hint for a whole file (Chromium 136 and later, so current XWEB):
 * compile every function in it eagerly. Engines that do not know it read a comment.
 * @see https://v8.dev/blog/explicit-compile-hints
 */
export const COMPILE_HINT = '//# allFunctionsCalledOnLoad'

/**
 * Marks the entry chunk for eager compilation. Nearly all of its functions run on every
 * page load (Vue, the router, Pinia, the app's start-up and first render), and V8 compiles
 * a function lazily, on the main thread, the first time it is called: the mount paid for
 * most of the entry's compilation in one long task, the one Lighthouse counts as blocking
 * time on /profile. With the hint, Chromium compiles them while the script streams in, on
 * a background thread. Lazy chunks stay lazy: most of their code may never run.
 *
 * The hint goes first in the file, after Vite has added its own preamble (`order: 'post'`).
 */
export function compileHints(): Plugin {
  return {
    name: 'compile-hints',
    apply: 'build',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const chunk of Object.values(bundle)) {
          if (chunk.type === 'chunk' && chunk.isEntry) chunk.code = `${COMPILE_HINT}\n${chunk.code}`
        }
      },
    },
  }
}
