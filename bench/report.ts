export type Verdict = 'PASS' | 'FAIL' | 'INFO'
export type Unit = 'B' | 'ms' | 'ms CPU' | 'logins/s' | '/s' | 'score' | 'requests' | 'calls'

export interface Figure {
  section: string
  figure: string
  value: number
  unit: Unit
  reference?: { name: string; value: number }
  /** value ÷ reference. */
  ratio?: number
  budget?: string
  verdict: Verdict
}

const number = (value: number, unit: Unit) => {
  if (!Number.isFinite(value)) return '—'
  const digits = unit === 'ms CPU' ? 2 : unit.endsWith('/s') && value < 100 ? 1 : 0
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits })
  if (unit === '/s') return `${text}/s`
  return unit === 'score' || unit === 'requests' || unit === 'calls' ? text : `${text} ${unit}`
}

/** A figure checked against a fixed number, or only reported. */
export function absolute(
  section: string,
  figure: string,
  unit: Unit,
  value: number,
  budget?: { text: string; pass: boolean },
): Figure {
  return {
    section,
    figure,
    value,
    unit,
    ...(budget
      ? { budget: budget.text, verdict: budget.pass ? 'PASS' : 'FAIL' }
      : { verdict: 'INFO' }),
  }
}

/** A figure with a reference and a ratio, checked by `pass`. */
export function compared(
  section: string,
  figure: string,
  unit: Unit,
  value: number,
  reference: { name: string; value: number },
  budget?: { text: string; pass: boolean },
): Figure {
  return {
    ...absolute(section, figure, unit, value, budget),
    reference,
    ratio: value / reference.value,
  }
}

const cell = (text: string) => text.replace(/\|/g, '\\|')

/** A Markdown table; every cell escaped. */
export function table(head: string[], rows: (string | number)[][]): string {
  const lines = [head, head.map(() => '---'), ...rows.map((row) => row.map(String))]
  return lines.map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n')
}

export function figuresTable(figures: Figure[]): string {
  return table(
    ['figure', 'value', 'reference', 'ratio', 'budget', 'result'],
    figures.map((f) => [
      f.figure,
      number(f.value, f.unit),
      f.reference ? `${number(f.reference.value, f.unit)} (${f.reference.name})` : '—',
      f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)}×`,
      f.budget ?? '—',
      f.verdict === 'FAIL' ? '**FAIL**' : f.verdict,
    ]),
  )
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
export const ms = (value: number) => `${Math.round(value)} ms`
