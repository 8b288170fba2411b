// HOST_DIR/cdc: a short script the kernel can exec from core_pattern. The shebang names the
// runtime by absolute path because the kernel gives the helper no PATH. The body loads the bundle
// through createRequire, which works whether Node treats this extensionless file as CommonJS or as
// an ES module (a package.json with "type": "module" above HOST_DIR would make it ESM).
// V8's compile cache (HOST_DIR/.cache) roughly halves the bundle's load time from the second crash
// on: every millisecond before stdin is drained holds the crashed process.
// The launcher re-executes itself once (process.execve: same pid, same stdin, nothing read yet)
// with glibc's malloc tuned and V8's young generation small, because the kernel starts the helper
// with an environment we cannot set: glibc's sliding mmap threshold and per-thread arenas kept
// 10-20 MiB of freed compression buffers resident on a 1 GiB core, and a 1 MiB semi-space took
// another 1-7 MiB off peak RSS at the same speed (bench, 2026-12-02). --max-opt=1 stops V8 at its
// baseline compiler: the optimizing tiers' code pages and compile zones cost 6-10 MiB of peak RSS
// on every codec (1 GiB cores, 2 runs each, 2026-12-03) for no speed we could measure, since the
// composer's work is native (zlib, zstd, crc32, copies) and its JavaScript only glue. The exec
// costs a second Node start-up (~20 ms here) before stdin is read; a 64 MiB core was held +100 ms
// beyond a plain drain with it. If execve fails, the bundle loads in this process, untuned.
// The self-test (host-checks.ts): a crash of a process named SELFTEST_PREFIX + the nonce in
// HOST_DIR/.selftest-request proves the kernel can run this file from the host's view; the
// launcher then writes .selftest-result (runtime and host glibc versions) instead of a dump.
export const SELFTEST_PREFIX = 'cdcst-';
export const SELFTEST_REQUEST = '.selftest-request';
export const SELFTEST_RESULT = '.selftest-result';

/** Set by the launcher on its re-exec, so it execs once. */
export const REEXEC_MARK = 'CORE_DUMP_HANDLER_REEXEC';
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '1' };
const V8_FLAGS = ['--max-semi-space-size=1', '--max-opt=1'];

export function launcherScript(hostDir: string): string {
  const dir = hostDir.replace(/\/+$/, '');
  const bundle = JSON.stringify(`${dir}/cdc.cjs`);
  const cache = JSON.stringify(`${dir}/.cache`);
  const q = (f: string) => JSON.stringify(`${dir}/${f}`);
  return [
    `#!${dir}/node`,
    'const m = process.getBuiltinModule("node:module");',
    `const st = process.argv.find((a) => a.startsWith(${JSON.stringify(`-e=${SELFTEST_PREFIX}`)}))?.slice(3);`,
    'const fs = st && process.getBuiltinModule("node:fs");',
    `let selfTest = false;`,
    `try { selfTest = !!fs && fs.readFileSync(${q(SELFTEST_REQUEST)}, "utf8") === st; } catch {}`,
    'if (selfTest) {',
    '  const glibc = process.report.getReport().header.glibcVersionRuntime;',
    `  fs.writeFileSync(${q(SELFTEST_RESULT)}, JSON.stringify({ nonce: st, node: process.version, glibc }));`,
    `} else if (!process.env.${REEXEC_MARK} && typeof process.execve === "function") {`,
    // Our malloc settings are defaults: one the environment already has wins.
    `  const env = { ...${JSON.stringify(MALLOC_ENV)}, ...process.env, ${REEXEC_MARK}: "1" };`,
    `  try { process.execve(process.execPath, [process.execPath, ...${JSON.stringify(V8_FLAGS)}, ${q('cdc')}, ...process.argv.slice(2)], env); } catch {}`,
    '}',
    `if (!selfTest) {`,
    `  m.enableCompileCache?.(${cache});`,
    `  m.createRequire(${bundle})(${bundle});`,
    '}',
    '',
  ].join('\n');
}
