import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, transformWithEsbuild, type Rollup } from 'vite'

export interface ChunkComposition {
  file: string
  isEntry: boolean
  gzip: number
  /** What the chunk is made of, largest first; gzip shares are estimates (composeChunks). */
  parts: { name: string; own: boolean; rendered: number; gzipShare: number }[]
}

/** A package name, or the file's folder in the site (`own`), for one module id. */
function partOf(id: string, root: string): { name: string; own: boolean } {
  const inModules = id.lastIndexOf('/node_modules/')
  if (inModules >= 0) {
    const [scope = '', name = ''] = id.slice(inModules + '/node_modules/'.length).split('/')
    // Vue's own packages read better as one.
    if (scope === '@vue' && name !== 'devtools-api') return { name: 'vue', own: false }
    return { name: scope.startsWith('@') ? `${scope}/${name}` : scope, own: false }
  }
  if (id.startsWith('\0') || !id.startsWith(root)) return { name: 'vite runtime', own: false }
  const path = relative(root, id).split('?')[0]!
  const parts = path.split('/')
  return { name: parts.length > 2 ? `${parts[0]}/${parts[1]}/` : path, own: true }
}

/** Gzip bytes of a part's code minified alone: its weight when the chunk is split. */
async function weight(code: string): Promise<number> {
  try {
    const { code: minified } = await transformWithEsbuild(code, 'part.js', { minify: true })
    return gzipSync(minified, { level: 9 }).length
  } catch {
    // A fragment esbuild cannot parse alone: its rendered size stands in.
    return gzipSync(code, { level: 9 }).length
  }
}

/**
 * What each JS chunk of a Vite build holds: the modules' rendered code grouped by part,
 * each part minified and gzipped alone, and the chunk's real gzip size shared out in
 * those proportions. An estimate (gzip of the whole is less than of the parts), but one
 * that comments and whitespace before minification do not skew.
 */
export async function composeChunks(result: unknown, root: string): Promise<ChunkComposition[]> {
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[]
  const chunks = outputs.flatMap((o) => o.output).filter((o) => o.type === 'chunk')
  const composed: ChunkComposition[] = []
  for (const chunk of chunks) {
    const gzip = gzipSync(chunk.code, { level: 9 }).length
    const grouped = new Map<string, { own: boolean; rendered: number; code: string }>()
    for (const [id, info] of Object.entries(chunk.modules)) {
      if (info.renderedLength === 0) continue
      const { name, own } = partOf(id, root)
      const part = grouped.get(name) ?? { own, rendered: 0, code: '' }
      part.rendered += info.renderedLength
      part.code += `${info.code ?? ''}\n`
      grouped.set(name, part)
    }
    const weighed = await Promise.all(
      [...grouped].map(async ([name, part]) => ({
        name,
        ...part,
        weight: await weight(part.code),
      })),
    )
    const total = weighed.reduce((sum, part) => sum + part.weight, 0) || 1
    const parts = weighed
      .map(({ name, own, rendered, weight: w }) => ({
        name,
        own,
        rendered,
        gzipShare: Math.round((gzip * w) / total),
      }))
      .sort((a, b) => b.gzipShare - a.gzipShare)
    composed.push({ file: chunk.fileName, isEntry: chunk.isEntry, gzip, parts })
  }
  return composed.sort((a, b) => b.gzip - a.gzip)
}

/**
 * Builds the site again in memory (nothing written) with its own Vite config and the
 * environment `netlify serve` built it with (so the chunks are the ones served), to see
 * what each JS chunk holds.
 */
export async function analyzeChunks(
  root: string,
  env: Record<string, string>,
): Promise<ChunkComposition[]> {
  const result = await withBuildEnv(env, () =>
    build({
      configFile: join(root, 'vite.config.ts'),
      root,
      logLevel: 'silent',
      build: { write: false },
    }),
  )
  return composeChunks(result, root)
}

/**
 * Runs a Vite build with `vars` in the environment (vite.config.ts reads process.env), and
 * puts the environment back after: Vite sets NODE_ENV=production, which would otherwise
 * change how the rest of this process (wechat-oauth, the handler) behaves.
 */
export async function withBuildEnv<T>(vars: Record<string, string>, run: () => Promise<T>) {
  const saved = { ...process.env }
  Object.assign(process.env, vars)
  try {
    return await run()
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}
