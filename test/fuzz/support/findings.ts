// What the fuzzers saw that they should not have: 5xx answers, leaked internals, answers that are not
// JSON, refusals that took too long. Findings that match a known issue handled by another change are
// kept apart (allowed) with the issue they belong to, so the allowance is easy to find and remove.

export interface Finding {
  where: string;
  what: string;
  /** The input that caused it, shortened. */
  input?: string;
}

export interface Allowance {
  /** Why the finding is tolerated; shown in the report. */
  reason: string;
  matches(f: Finding): boolean;
}

export class Findings {
  readonly list: Finding[] = [];
  readonly allowed = new Map<string, Finding[]>();

  constructor(private readonly allowances: readonly Allowance[] = []) {}

  add(where: string, what: string, input?: string): void {
    const f: Finding = {where, what, input: input === undefined ? undefined : shorten(input)};
    const a = this.allowances.find((x) => x.matches(f));
    if (a) {
      const l = this.allowed.get(a.reason) ?? [];
      if (l.length < 5) l.push(f);
      this.allowed.set(a.reason, l);
      return;
    }
    if (this.list.length < 200) this.list.push(f);
  }

  /** A report of everything found, for the failure message. */
  describe(seed: number): string {
    const lines = [`${this.list.length} finding(s) (replay with FUZZ_SEED=${seed}):`];
    for (const f of this.list.slice(0, 40))
      lines.push(`- [${f.where}] ${f.what}${f.input ? `\n    input: ${f.input}` : ''}`);
    return lines.join('\n');
  }
}

export function shorten(s: string, max = 300): string {
  const clean = s.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what this escapes
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return clean.length > max ? `${clean.slice(0, max)}… (${s.length} chars)` : clean;
}

/** Counts by key, for the summary. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }
  toString(): string {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  }
}
