import { join } from 'node:path'
import { build } from 'vite'
import { composeChunks, withBuildEnv, type ChunkComposition } from './composition.ts'
import { BENCH_DIR, PROJECT_DIR, RESULTS_DIR } from './paths.ts'

export const FLOOR_DIST = join(RESULTS_DIR, 'floor-dist')

/**
 * Builds the floor app with the project's own Vite config (same plugins, target and
 * minifier), only its root and output moved.
 */
export async function buildFloor(): Promise<{ dist: string; chunks: ChunkComposition[] }> {
  const root = join(BENCH_DIR, 'floor')
  const result = await withBuildEnv({}, () =>
    build({
      configFile: join(PROJECT_DIR, 'vite.config.ts'),
      root,
      logLevel: 'warn',
      build: { outDir: FLOOR_DIST, emptyOutDir: true },
    }),
  )
  return { dist: FLOOR_DIST, chunks: await composeChunks(result, root) }
}
