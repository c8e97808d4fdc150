import { fileURLToPath } from 'node:url'
import { mergeConfig, defineConfig, configDefaults } from 'vitest/config'
import viteConfig from './vite.config'

export default defineConfig((env) =>
  mergeConfig(viteConfig(env), {
    test: {
      environment: 'jsdom',
      exclude: [...configDefaults.exclude, 'e2e/**'],
      root: fileURLToPath(new URL('./', import.meta.url)),
      // The JSON report is what .ci/run counts.
      reporters: ['default', 'json'],
      outputFile: { json: 'reports/unit.json' },
      // Functions and the emulator are server code: they run in node, where Request,
      // fetch and real sockets behave as they do under Netlify.
      projects: [
        {
          extends: true,
          test: {
            name: 'app',
            environment: 'jsdom',
            include: ['src/**/*.spec.ts'],
            // fakeApi stubs fetch; no test inherits another's.
            unstubGlobals: true,
          },
        },
        {
          extends: true,
          test: {
            name: 'server',
            environment: 'node',
            include: ['netlify/**/*.spec.ts', 'emulator/**/*.spec.ts', 'scripts/**/*.spec.ts'],
          },
        },
      ],
    },
  }),
)
