// What every cdh command is given: its parsed command line, the store (opened on first use), the
// output streams, the terminal width and the clock. Tests run commands through the real main.
import type { Invocation } from './args.ts';
import type { Store } from './store.ts';

export interface Context {
  readonly inv: Invocation;
  store(): Promise<Store>;
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal (progress bars only then). */
  readonly interactive: boolean;
  width(): number;
  now(): number;
}
