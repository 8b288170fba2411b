// pino loggers. The composer's stdout is /dev/null, so it logs to a file beside itself, capped by a
// single rotation (file -> file.1) so a crash loop cannot fill the node's disk. The agent logs to stdout.
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.ts';
import { ensureDirSync } from './spool/files.ts';

export type { Logger };

const REDACT = {
  paths: ['secretAccessKey', 'sessionToken', '*.secretAccessKey', '*.sessionToken', '*.*.secretAccessKey', 'S3_SECRET', '*.S3_SECRET'],
  censor: '[redacted]',
};

/** Rotates `file` to `file.1` when it is over `maxBytes`; at most 2 x maxBytes on disk. */
export function rotateIfLarge(file: string, maxBytes: number): void {
  try {
    if (fs.statSync(file).size >= maxBytes) fs.renameSync(file, `${file}.1`);
  } catch {
    // Missing file or no permission: logging must never stop a dump.
  }
}

export function fileLogger(file: string, level: LogLevel, maxBytes: number): Logger {
  rotateIfLarge(file, maxBytes);
  try {
    // Opened by us, never through a link: a symlink planted at composer.log must not make the
    // composer (root) append to whatever it points at. sync: each line is on disk before the next
    // step, so a killed composer still leaves its trail.
    ensureDirSync(path.dirname(file));
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    const dest = pino.destination({ dest: fd, sync: true });
    return pino({ level, base: { pid: process.pid }, redact: REDACT }, dest);
  } catch {
    return pino({ level: 'silent' });
  }
}

export function stdoutLogger(level: LogLevel | 'silent', name: string): Logger {
  return pino({ level, name, redact: REDACT });
}
