// A small C program that crashes on demand, built once per run with gcc -g so gdb can name its frames.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const DIR = '/tmp/cdc-fixtures';
const SOURCE = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
/* argv[1]: MiB of heap to fill (mixed data) so the core has weight; argv[2]: "child" to crash in a forked child */
static void __attribute__((noinline)) crash_here(volatile int *p) { *p = 42; }
static void __attribute__((noinline)) do_work(long mib) {
  if (mib > 0) {
    char *m = malloc(mib << 20);
    for (long i = 0; i < (mib << 20); i += 4096) m[i] = (char)(i * 31 + 7);
    memset(m, 'x', (mib << 20) / 4);
  }
  crash_here(0);
}
int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 0;
  printf("crasher pid=%d\\n", getpid()); fflush(stdout);
  if (argc > 2 && strcmp(argv[2], "child") == 0) {
    pid_t c = fork();
    if (c == 0) do_work(mib);
    int st; waitpid(c, &st, 0); return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 0;
  }
  do_work(mib);
  return 0;
}
`;

/** Path of the crasher binary (built on first use). `name` picks the file name, hence comm (%e). */
export function buildCrasher(name = 'crasher', opts: { static?: boolean } = {}): string {
  fs.mkdirSync(DIR, { recursive: true });
  const out = `${DIR}/${name}${opts.static ? '-static' : ''}`;
  if (fs.existsSync(out)) return out;
  fs.writeFileSync(`${DIR}/crasher.c`, SOURCE);
  execFileSync('gcc', ['-g', '-O0', ...(opts.static ? ['-static'] : []), '-o', `${out}.tmp`, `${DIR}/crasher.c`]);
  fs.renameSync(`${out}.tmp`, out);
  return out;
}
