/**
 * Sums the test runners' own JSON reports into the one line CI reads:
 * `N passed, N failed`. A report that is missing means its suite never ran (an earlier
 * step such as type-check failed), which is said and makes the exit code non-zero.
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

function main(files: string[]): number {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 }
  let missing = 0
  for (const file of files) {
    if (!existsSync(file)) {
      console.log(`${file}: no report (the suite did not run)`)
      missing++
      continue
    }
    const counts = countReport(JSON.parse(readFileSync(file, 'utf8')))
    console.log(
      `${file}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    )
    total.passed += counts.passed
    total.failed += counts.failed
    total.skipped += counts.skipped
  }
  const skipped = total.skipped ? `, ${total.skipped} skipped` : ''
  console.log(`${total.passed} passed, ${total.failed} failed${skipped}`)
  return total.failed > 0 || missing > 0 ? 1 : 0
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2))
