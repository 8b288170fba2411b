// Typed readers over a string map. Each bad optional value becomes a warning naming its key and
// the default used instead: a bad setting must never cost a dump.
import { problem, type Problem } from './errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigReader {
  readonly warnings: Problem[] = [];
  private readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }

  raw(key: string): string | undefined {
    const v = this.env[key];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(key: string, fallback: string): string {
    return this.raw(key) ?? fallback;
  }

  /** Accepts the seed's spellings (true/false, 1/0, yes/no, on/off) in any case. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    const l = v.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(l)) return true;
    if (['false', '0', 'no', 'off'].includes(l)) return false;
    this.warn(key, v, String(fallback), 'expected true or false');
    return fallback;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v)) {
      this.warn(key, v, String(fallback), 'expected a whole number');
      return fallback;
    }
    const n = Number(v);
    if (n < min || n > max) {
      this.warn(key, v, String(fallback), `expected ${min}..${max}`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (hit === undefined) {
      this.warn(key, v, fallback, `expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return hit;
  }

  warn(key: string, value: string, fallback: string, why: string): void {
    const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
    this.warnings.push(problem('CDC_CONFIG_INVALID', `${key}=${JSON.stringify(shown)} ignored (${why}); using ${fallback}`));
  }

  /** Settings that contradict each other (no one value is wrong on its own). */
  conflict(detail: string): void {
    this.warnings.push(problem('CDC_CONFIG_INVALID', detail));
  }
}
