// The three kernel settings we change, read and written under an injectable /proc/sys root so tests
// can use a scratch directory. The values found before our first install are kept in
// HOST_DIR/.saved-sysctl.json and put back on uninstall.
import fs from 'node:fs/promises';
import path from 'node:path';
import { readRegularText, writeFileAtomic } from '../../shared/spool/index.ts';

export const SYSCTLS = {
  corePattern: 'kernel/core_pattern',
  corePipeLimit: 'kernel/core_pipe_limit',
  suidDumpable: 'fs/suid_dumpable',
} as const;
export type SysctlName = (typeof SYSCTLS)[keyof typeof SYSCTLS];

export interface SavedSysctls {
  version: 1;
  savedAt: string;
  values: Partial<Record<SysctlName, string>>;
}

export const SAVED_FILE = '.saved-sysctl.json';

export async function readSysctl(procSys: string, name: SysctlName): Promise<string> {
  return (await fs.readFile(path.join(procSys, name), 'utf8')).replace(/\n$/, '');
}

export async function writeSysctl(procSys: string, name: SysctlName, value: string): Promise<void> {
  // One write(2) of the whole value: /proc/sys handlers take the value from a single write.
  await fs.writeFile(path.join(procSys, name), value);
}

export async function readSaved(hostDir: string): Promise<SavedSysctls | undefined> {
  try {
    const parsed = JSON.parse((await readRegularText(path.join(hostDir, SAVED_FILE), 64 * 1024)).text) as SavedSysctls;
    return parsed.version === 1 && typeof parsed.values === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function writeSaved(hostDir: string, values: SavedSysctls['values']): Promise<void> {
  const saved: SavedSysctls = { version: 1, savedAt: new Date().toISOString(), values };
  await writeFileAtomic(path.join(hostDir, SAVED_FILE), JSON.stringify(saved, null, 2) + '\n', 0o600);
}
