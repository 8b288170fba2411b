// A real pino logger writing into memory, so tests can read the events it logged.
import pino from 'pino';
import type { Logger } from '../../src/shared/log.ts';

export function memoryLogger(): { log: Logger; lines: Record<string, unknown>[]; events: () => string[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines, events: () => lines.map((l) => String(l.event)) };
}
