// Install the composer on the host and point the kernel at it; uninstall puts everything back.
// Both are idempotent: install twice upgrades in place, uninstall twice (or with files gone) is quiet.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../shared/log.ts';
import type { Env } from '../../shared/config-readers.ts';
import { CdcError, describeError, isCdcError } from '../../shared/errors.ts';
import { formatEnvFile } from '../../shared/envfile.ts';
import { copyFileAtomic, removeStaleTemps, writeFileAtomic } from '../../shared/spool/index.ts';
import { sameFile } from './same-file.ts';
import { buildCorePattern, isOurPattern } from './core-pattern.ts';
import { composerEnv, HOST_AZURE_TOKEN_FILE, HOST_TOKEN_FILE } from './composer-env.ts';
import { launcherScript } from './launcher.ts';
import { SAVED_FILE, SYSCTLS, readSaved, readSysctl, writeSaved, writeSysctl, type SysctlName } from './sysctl.ts';
import { azureTokenSource, copyToken, webIdentitySource } from './web-identity.ts';

export interface InstallOptions {
  hostDir: string;
  coreDir: string;
  eventDir: string;
  /** Root of the sysctl tree; '/proc/sys' in production, a scratch directory in tests. */
  procSys: string;
  /** Directory holding cdc.cjs (the composer bundle). */
  sourceDir: string;
  /** The Node runtime to copy; the agent's own by default. */
  nodeBinary: string;
  env: Env;
  suidDumpable: number;
  corePipeLimit: number;
  log: Logger;
}

export interface InstallResult {
  pattern: string;
  dropped: string[];
  hostTokenFile: string | undefined;
  hostAzureTokenFile?: string | undefined;
}

/** Files we place in HOST_DIR (cores/ and events/ are data and are never removed by us). */
export const INSTALLED_FILES = ['cdc', 'cdc.cjs', 'node', '.env', HOST_TOKEN_FILE, HOST_AZURE_TOKEN_FILE] as const;

async function saveSysctlsOnce(o: InstallOptions, current: Record<SysctlName, string>): Promise<void> {
  // If the pattern is already ours, an earlier run installed without uninstalling (crash, SIGKILL):
  // the saved file then holds the true originals, and overwriting it would lose them.
  const saved = await readSaved(o.hostDir);
  const ours = isOurPattern(current[SYSCTLS.corePattern], o.hostDir);
  if (saved && ours) return;
  // Ours but nothing saved (file deleted by hand): the kernel default is the best original we know.
  await writeSaved(o.hostDir, ours ? { ...current, [SYSCTLS.corePattern]: 'core' } : current);
  o.log.info({ event: 'SysctlsSaved', values: current }, 'previous kernel settings saved');
}

export async function install(o: InstallOptions): Promise<InstallResult> {
  // Checked before touching anything: a refused pattern leaves the host as it was.
  const { pattern, dropped } = buildCorePattern(o.hostDir);
  if (dropped.length > 0) {
    o.log.warn({ event: 'PatternFlagsDropped', code: 'CDC_INSTALL_FLAGS_DROPPED', dropped, bytes: Buffer.byteLength(pattern) }, 'core_pattern over 127 bytes with every flag; optional flags dropped (shorten HOST_DIR to keep them)');
  }
  try {
    for (const d of [o.hostDir, o.coreDir, o.eventDir]) await fs.mkdir(d, { recursive: true });
    await removeStaleTemps(o.hostDir);

    const bundle = path.join(o.sourceDir, 'cdc.cjs');
    await copyFileAtomic(bundle, path.join(o.hostDir, 'cdc.cjs'), 0o755);
    const nodeTarget = path.join(o.hostDir, 'node');
    if (!(await sameFile(o.nodeBinary, nodeTarget, 0o755))) await copyFileAtomic(o.nodeBinary, nodeTarget, 0o755);
    await writeFileAtomic(path.join(o.hostDir, 'cdc'), launcherScript(o.hostDir), 0o755);

    const tokenSource = webIdentitySource(o.env);
    const hostTokenFile = tokenSource ? await copyToken(tokenSource, o.hostDir) : undefined;
    const azureSource = azureTokenSource(o.env);
    const hostAzureTokenFile = azureSource ? await copyToken(azureSource, o.hostDir, HOST_AZURE_TOKEN_FILE) : undefined;
    const envValues = composerEnv(o.env, { hostDir: o.hostDir, hostTokenFile, hostAzureTokenFile });
    await writeFileAtomic(path.join(o.hostDir, '.env'), formatEnvFile(envValues), 0o600);
    o.log.info({ event: 'ComposerInstalled', hostDir: o.hostDir, envKeys: Object.keys(envValues).length, webIdentity: !!hostTokenFile, azureWorkloadIdentity: !!hostAzureTokenFile }, 'composer installed');

    const current = {
      [SYSCTLS.corePattern]: await readSysctl(o.procSys, SYSCTLS.corePattern),
      [SYSCTLS.corePipeLimit]: await readSysctl(o.procSys, SYSCTLS.corePipeLimit),
      [SYSCTLS.suidDumpable]: await readSysctl(o.procSys, SYSCTLS.suidDumpable),
    } as Record<SysctlName, string>;
    await saveSysctlsOnce(o, current);
    // core_pattern last: the kernel only calls the composer once every file it needs is in place.
    await writeSysctl(o.procSys, SYSCTLS.corePipeLimit, String(o.corePipeLimit));
    await writeSysctl(o.procSys, SYSCTLS.suidDumpable, String(o.suidDumpable));
    await writeSysctl(o.procSys, SYSCTLS.corePattern, pattern);
    const readBack = await readSysctl(o.procSys, SYSCTLS.corePattern);
    if (readBack !== pattern) throw new Error(`core_pattern read back as ${JSON.stringify(readBack)}`);
    o.log.info({ event: 'CorePatternSet', pattern, corePipeLimit: o.corePipeLimit, suidDumpable: o.suidDumpable }, 'kernel now pipes cores to the composer');
    return { pattern, dropped, hostTokenFile, hostAzureTokenFile };
  } catch (e) {
    if (isCdcError(e)) throw e;
    throw new CdcError('CDC_INSTALL_FAILED', describeError(e), { hostDir: o.hostDir }, { cause: e });
  }
}

export interface UninstallOptions {
  hostDir: string;
  procSys: string;
  log: Logger;
}

export async function uninstall(o: UninstallOptions): Promise<void> {
  const saved = await readSaved(o.hostDir);
  let pattern: string | undefined;
  try {
    pattern = await readSysctl(o.procSys, SYSCTLS.corePattern);
  } catch (e) {
    o.log.warn({ event: 'SysctlUnreadable', code: 'CDC_UNINSTALL_FAILED', err: describeError(e) }, 'core_pattern unreadable; leaving kernel settings alone');
  }
  if (pattern !== undefined && isOurPattern(pattern, o.hostDir)) {
    // Only undo our own pattern: if someone installed another handler since, it is theirs to keep.
    const values = saved?.values ?? { [SYSCTLS.corePattern]: 'core' };
    for (const [name, value] of Object.entries(values) as [SysctlName, string][]) {
      if (name === SYSCTLS.corePattern) continue;
      await writeSysctl(o.procSys, name, value).catch((e) => o.log.warn({ event: 'SysctlRestoreFailed', code: 'CDC_UNINSTALL_FAILED', name, err: describeError(e) }, 'could not restore'));
    }
    // The pattern last, mirroring install: the composer stays reachable until the end.
    await writeSysctl(o.procSys, SYSCTLS.corePattern, values[SYSCTLS.corePattern] ?? 'core');
    o.log.info({ event: 'SysctlsRestored', values, fromSaved: !!saved }, 'kernel settings restored');
  } else if (pattern !== undefined) {
    o.log.info({ event: 'SysctlsLeft', pattern }, 'core_pattern is not ours; left unchanged');
  }
  // After the pattern no longer points here, so no new composer starts from files being removed.
  // A composer already running keeps its open files (unlinking does not disturb it).
  for (const f of [...INSTALLED_FILES, SAVED_FILE]) await fs.rm(path.join(o.hostDir, f), { force: true });
  await removeStaleTemps(o.hostDir);
  o.log.info({ event: 'ComposerRemoved', hostDir: o.hostDir }, 'composer files removed');
}
