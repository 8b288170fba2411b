// C programs that crash in the ways triage must tell apart, built by the tests: a chain of calls in
// the main program, a crash inside a shared library of our own, in a non-main thread, abort(), and a
// second crash site. Built with frame pointers (gdb -g, so gdb names every frame) or without.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const DIR = '/tmp/cdc-fixtures/triage';

const LIB = `
#include <stddef.h>
void __attribute__((noinline)) lib_store(volatile int *p) { *p = 7; }
void __attribute__((noinline)) lib_crash(volatile int *p) { lib_store(p); __asm__ volatile("" ::: "memory"); }
`;

const MAIN = `
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
void lib_crash(volatile int *p);
volatile int *nowhere = 0;
static void __attribute__((noinline)) crash_here(void) { *nowhere = 42; }
static void __attribute__((noinline)) other_site(void) { nowhere[3] = 43; }
static void __attribute__((noinline)) level2(const char *how) {
  if (strcmp(how, "segv") == 0) crash_here();
  else if (strcmp(how, "site2") == 0) other_site();
  else if (strcmp(how, "lib") == 0) lib_crash(nowhere);
  else if (strcmp(how, "abort") == 0) abort();
  __asm__ volatile("" ::: "memory");
}
static void __attribute__((noinline)) level1(const char *how) { level2(how); __asm__ volatile("" ::: "memory"); }
static void *thread_main(void *arg) { level1("segv"); return arg; }
int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "segv";
  if (strcmp(how, "thread") == 0) {
    pthread_t t;
    pthread_create(&t, 0, thread_main, 0);
    pthread_join(t, 0);
    return 0;
  }
  level1(how);
  return 0;
}
`;

export interface TriageCrasher { program: string; lib: string }

/** Builds (once) the program and its library; `fp` keeps frame pointers, else -O2 without them. */
export function buildTriageCrasher(opts: { fp: boolean; cc?: string; suffix?: string }): TriageCrasher {
  const cc = opts.cc ?? 'gcc';
  const dir = path.join(DIR, `${opts.fp ? 'fp' : 'nofp'}${opts.suffix ?? ''}`);
  const program = path.join(dir, 'triage-crasher');
  const lib = path.join(dir, 'libtriage.so');
  if (fs.existsSync(program)) return { program, lib };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'lib.c'), LIB);
  fs.writeFileSync(path.join(dir, 'main.c'), MAIN);
  const flags = opts.fp ? ['-g', '-O0', '-fno-omit-frame-pointer'] : ['-g', '-O2', '-fomit-frame-pointer'];
  execFileSync(cc, [...flags, '-shared', '-fPIC', '-o', lib, path.join(dir, 'lib.c')]);
  execFileSync(cc, [...flags, '-o', `${program}.tmp`, path.join(dir, 'main.c'), `-L${dir}`, '-ltriage', `-Wl,-rpath,${dir}`, '-lpthread']);
  fs.renameSync(`${program}.tmp`, program);
  return { program, lib };
}
