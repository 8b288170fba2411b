// HOST_DIR/cdc: a two-line script the kernel can exec from core_pattern. The shebang names the
// runtime by absolute path because the kernel gives the helper no PATH. The body loads the bundle
// through createRequire, which works whether Node treats this extensionless file as CommonJS or as
// an ES module (a package.json with "type": "module" above HOST_DIR would make it ESM).
// V8's compile cache (HOST_DIR/.cache) roughly halves the bundle's load time from the second crash
// on: every millisecond before stdin is drained holds the crashed process.
export function launcherScript(hostDir: string): string {
  const dir = hostDir.replace(/\/+$/, '');
  const bundle = JSON.stringify(`${dir}/cdc.cjs`);
  const cache = JSON.stringify(`${dir}/.cache`);
  return `#!${dir}/node\nconst m = process.getBuiltinModule("node:module");\nm.enableCompileCache?.(${cache});\nm.createRequire(${bundle})(${bundle});\n`;
}
