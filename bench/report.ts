export type Section =
  | 'Bytes'
  | 'Round trips'
  | 'Time to profile'
  | 'Lighthouse'
  | 'Server throughput'
  | 'JS-SDK signature'
  | 'Cold start'
export type Unit = 'B' | 'ms' | 'logins/s' | 'score' | 'requests' | 'calls' | 'sign-ins' | 'files'

export interface Figure {
  section: Section
  figure: string
  value: number
  unit: Unit
  reference?: { name: string; value: number }
  /** value ÷ reference. */
  ratio?: number
  budget?: string
  verdict: 'PASS' | 'FAIL' | 'INFO'
}

/** A figure; checked when it has a budget, only reported when not. */
export function figure(
  section: Section,
  name: string,
  unit: Unit,
  value: number,
  options: { reference?: Figure['reference']; budget?: string; pass?: boolean } = {},
): Figure {
  const { reference, budget, pass } = options
  return {
    section,
    figure: name,
    value,
    unit,
    ...(reference ? { reference, ratio: value / reference.value } : {}),
    ...(budget ? { budget, verdict: pass ? 'PASS' : 'FAIL' } : { verdict: 'INFO' }),
  }
}

const number = (value: number, unit: Unit) => {
  if (!Number.isFinite(value)) return '—'
  const digits = (unit === 'logins/s' && value < 100) || (unit === 'ms' && value < 10) ? 1 : 0
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits })
  return ['score', 'requests', 'calls', 'files'].includes(unit) ? text : `${text} ${unit}`
}

/** A Markdown table; every cell escaped. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cell = (text: string | number) => String(text).replace(/\|/g, '\\|')
  const lines = [head, head.map(() => '---'), ...rows]
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

export const ms = (value: number) => `${Math.round(value)} ms`
