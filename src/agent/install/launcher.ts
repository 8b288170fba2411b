// HOST_DIR/cdc: a two-line script the kernel can exec from core_pattern. The shebang names the
// runtime by absolute path because the kernel gives the helper no PATH. The body loads the bundle
// through createRequire, which works whether Node treats this extensionless file as CommonJS or as
// an ES module (a package.json with "type": "module" above HOST_DIR would make it ESM).
export function launcherScript(hostDir: string): string {
  const dir = hostDir.replace(/\/+$/, '');
  const bundle = JSON.stringify(`${dir}/cdc.cjs`);
  return `#!${dir}/node\nprocess.getBuiltinModule("node:module").createRequire(${bundle})(${bundle});\n`;
}
