// HOST_DIR/cdc: a short script the kernel can exec from core_pattern. The shebang names the
// runtime by absolute path because the kernel gives the helper no PATH. The body loads the bundle
// through createRequire, which works whether Node treats this extensionless file as CommonJS or as
// an ES module (a package.json with "type": "module" above HOST_DIR would make it ESM).
// V8's compile cache (HOST_DIR/.cache) roughly halves the bundle's load time from the second crash
// on: every millisecond before stdin is drained holds the crashed process.
// The self-test (host-checks.ts): a crash of a process named SELFTEST_PREFIX + the nonce in
// HOST_DIR/.selftest-request proves the kernel can run this file from the host's view; the
// launcher then writes .selftest-result (runtime and host glibc versions) instead of a dump.
export const SELFTEST_PREFIX = 'cdcst-';
export const SELFTEST_REQUEST = '.selftest-request';
export const SELFTEST_RESULT = '.selftest-result';

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
    '} else {',
    `  m.enableCompileCache?.(${cache});`,
    `  m.createRequire(${bundle})(${bundle});`,
    '}',
    '',
  ].join('\n');
}
