/**
 * Sums the test runners' own JSON reports into the one line CI reads:
 * `N passed, N failed`.
 */
import { existsSync, readFileSync } from 'node:fs'

interface Counts {
  passed: number
  failed: number
  skipped: number
}

/** Vitest writes Jest's shape; Playwright writes its own `stats`. */
export function countReport(report: unknown): Counts {
  const r = report as Record<string, unknown>
  if (typeof r.numPassedTests === 'number') {
    return {
      passed: r.numPassedTests,
      failed: Number(r.numFailedTests ?? 0),
      skipped: Number(r.numPendingTests ?? 0) + Number(r.numTodoTests ?? 0),
    }
  }
  const stats = r.stats as Record<string, number> | undefined
  if (stats && typeof stats.expected === 'number') {
    const errors = Array.isArray(r.errors) ? r.errors.length : 0
    return {
      passed: stats.expected + (stats.flaky ?? 0),
      failed: (stats.unexpected ?? 0) + errors,
      skipped: stats.skipped ?? 0,
    }
  }
  throw new Error('unknown report format')
}

/**
 * The report lines and the exit code. A suite that left no report (a step before it failed,
 * or its runner crashed) counts as one failure, so the last line never says `0 failed` for
 * a run that failed.
 */
export function summarize(files: string[]): { lines: string[]; exitCode: number } {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 }
  const lines: string[] = []
  for (const file of files) {
    if (!existsSync(file)) {
      lines.push(`${file}: no report (the suite did not run), counted as 1 failed`)
      total.failed++
      continue
    }
    const counts = countReport(JSON.parse(readFileSync(file, 'utf8')))
    lines.push(
      `${file}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    )
    total.passed += counts.passed
    total.failed += counts.failed
    total.skipped += counts.skipped
  }
  const skipped = total.skipped ? `, ${total.skipped} skipped` : ''
  lines.push(`${total.passed} passed, ${total.failed} failed${skipped}`)
  return { lines, exitCode: total.failed > 0 ? 1 : 0 }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, exitCode } = summarize(process.argv.slice(2))
  for (const line of lines) console.log(line)
  process.exitCode = exitCode
}
