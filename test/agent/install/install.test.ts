// Install / uninstall against a scratch HOST_DIR and a scratch /proc/sys tree.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { install, uninstall } from '../../../src/agent/install/install.ts';
import { parseEnvFile } from '../../../src/shared/envfile.ts';
import { memoryLogger } from '../../helpers/memory-logger.ts';
import { scratchHost, type ScratchHost } from '../../helpers/scratch-host.ts';

function opts(h: ScratchHost, env: Record<string, string> = {}, extra: Partial<Parameters<typeof install>[0]> = {}) {
  return {
    hostDir: h.hostDir, coreDir: h.coreDir, eventDir: h.eventDir, procSys: h.procSys, sourceDir: h.sourceDir,
    nodeBinary: process.execPath, env: { HOST_DIR: h.hostDir, ...env }, suidDumpable: 2, corePipeLimit: 0,
    log: memoryLogger().log, ...extra,
  };
}

const mode = (f: string) => fs.statSync(f).mode & 0o7777;

t.test('install places files, sets sysctls, and the launcher really runs the bundle', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  fs.writeFileSync(path.join(h.procSys, 'fs/suid_dumpable'), '1\n');
  fs.writeFileSync(path.join(h.procSys, 'kernel/core_pipe_limit'), '4\n');
  const r = await install(opts(h, { S3_BUCKET_NAME: 'b', S3_SECRET: 's3cr"et', COMP_CODEC: 'zstd', UNRELATED: 'x', SPOOL_MAX_BYTES: '100' }, { corePipeLimit: 0 }));
  t.equal(h.read('kernel/core_pattern'), r.pattern);
  t.match(r.pattern, new RegExp(`^\\|${h.hostDir}/cdc -c=%c`));
  t.equal(h.read('kernel/core_pipe_limit'), '0');
  t.equal(h.read('fs/suid_dumpable'), '2');
  t.equal(mode(path.join(h.hostDir, '.env')), 0o600);
  t.equal(mode(path.join(h.hostDir, 'cdc')), 0o755);
  t.equal(mode(path.join(h.hostDir, 'node')), 0o755);
  const env = parseEnvFile(fs.readFileSync(path.join(h.hostDir, '.env'), 'utf8'));
  t.same(env.badLines, []);
  t.equal(env.values.S3_SECRET, 's3cr"et');
  t.equal(env.values.COMP_CODEC, 'zstd');
  t.equal(env.values.SPOOL_MAX_BYTES, '100');
  t.equal(env.values.HOST_DIR, h.hostDir);
  t.notOk('UNRELATED' in env.values);
  t.ok(fs.existsSync(h.coreDir) && fs.existsSync(h.eventDir));
  const saved = JSON.parse(fs.readFileSync(path.join(h.hostDir, '.saved-sysctl.json'), 'utf8'));
  t.same(saved.values, { 'kernel/core_pattern': 'core', 'kernel/core_pipe_limit': '4', 'fs/suid_dumpable': '1' });
  // exec the launcher the way the kernel does: by path, empty environment, cwd /.
  execFileSync(path.join(h.hostDir, 'cdc'), ['-c=0', '-P=42'], { env: {}, cwd: '/' });
  t.same(JSON.parse(fs.readFileSync(path.join(h.hostDir, 'ran.json'), 'utf8')), ['-c=0', '-P=42']);
});

t.test('reinstall keeps the original saved values; uninstall restores them, twice is fine', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  fs.writeFileSync(path.join(h.procSys, 'kernel/core_pattern'), '|/usr/lib/systemd/systemd-coredump %P\n');
  await install(opts(h));
  // A second install (agent restarted without uninstalling) must not save our own pattern.
  fs.writeFileSync(path.join(h.sourceDir, 'cdc.cjs'), '// v2\n' + fs.readFileSync(path.join(h.sourceDir, 'cdc.cjs'), 'utf8'));
  await install(opts(h));
  t.match(fs.readFileSync(path.join(h.hostDir, 'cdc.cjs'), 'utf8'), /^\/\/ v2/, 'bundle upgraded in place');
  const { log, events } = memoryLogger();
  await uninstall({ hostDir: h.hostDir, procSys: h.procSys, log });
  t.equal(h.read('kernel/core_pattern'), '|/usr/lib/systemd/systemd-coredump %P');
  t.equal(h.read('fs/suid_dumpable'), '0');
  for (const f of ['cdc', 'cdc.cjs', 'node', '.env', '.saved-sysctl.json']) t.notOk(fs.existsSync(path.join(h.hostDir, f)), `${f} removed`);
  t.ok(fs.existsSync(h.coreDir), 'dumps directory kept');
  await uninstall({ hostDir: h.hostDir, procSys: h.procSys, log });
  t.equal(h.read('kernel/core_pattern'), '|/usr/lib/systemd/systemd-coredump %P');
  t.ok(events().includes('SysctlsLeft'), 'second uninstall leaves a pattern that is not ours');
  // Even with HOST_DIR gone entirely.
  fs.rmSync(h.hostDir, { recursive: true });
  await uninstall({ hostDir: h.hostDir, procSys: h.procSys, log });
});

t.test('uninstall leaves a core_pattern someone else set after us', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  await install(opts(h));
  fs.writeFileSync(path.join(h.procSys, 'kernel/core_pattern'), '|/other/handler %p\n');
  await uninstall({ hostDir: h.hostDir, procSys: h.procSys, log: memoryLogger().log });
  t.equal(h.read('kernel/core_pattern'), '|/other/handler %p');
});

t.test('a too-long pattern is refused before anything is touched', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  const hostDir = path.join(h.root, 'x'.repeat(100));
  await t.rejects(install({ ...opts(h), hostDir }), { code: 'CDC_INSTALL_PATTERN_TOO_LONG' });
  t.equal(h.read('kernel/core_pattern'), 'core');
  t.notOk(fs.existsSync(hostDir));
});

t.test('a missing bundle fails with CDC_INSTALL_FAILED and leaves core_pattern alone', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  fs.rmSync(path.join(h.sourceDir, 'cdc.cjs'));
  await t.rejects(install(opts(h)), { code: 'CDC_INSTALL_FAILED' });
  t.equal(h.read('kernel/core_pattern'), 'core');
});

t.test('web identity: a host copy of the token, 0600, named in .env', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  const podToken = path.join(h.root, 'pod-token');
  fs.writeFileSync(podToken, 'jwt-1');
  const r = await install(opts(h, { AWS_ROLE_ARN: 'arn:aws:iam::1:role/x', AWS_WEB_IDENTITY_TOKEN_FILE: podToken, AWS_REGION: 'eu-west-1' }));
  t.ok(r.hostTokenFile);
  t.equal(fs.readFileSync(r.hostTokenFile!, 'utf8'), 'jwt-1');
  t.equal(mode(r.hostTokenFile!), 0o600);
  const env = parseEnvFile(fs.readFileSync(path.join(h.hostDir, '.env'), 'utf8')).values;
  t.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, r.hostTokenFile);
  t.equal(env.AWS_ROLE_ARN, 'arn:aws:iam::1:role/x');
  t.equal(env.AWS_REGION, 'eu-west-1');
  const { copyToken } = await import('../../../src/agent/install/web-identity.ts');
  fs.writeFileSync(podToken, 'jwt-2');
  await copyToken(podToken, h.hostDir);
  t.equal(fs.readFileSync(r.hostTokenFile!, 'utf8'), 'jwt-2', 'refreshed');
});

t.test('replacing the bundle while a process has it open and runs the node copy never fails', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  await install(opts(h));
  // Keep the installed node binary executing (a "running composer") while we reinstall over it.
  const { spawn } = await import('node:child_process');
  const child = spawn(path.join(h.hostDir, 'node'), ['-e', 'setTimeout(()=>{}, 10000)'], { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  const other = path.join(h.root, 'node-other');
  fs.copyFileSync(process.execPath, other);
  fs.appendFileSync(other, Buffer.from('x')); // different bytes, so it must be replaced
  await install(opts(h, {}, { nodeBinary: other }));
  t.equal(fs.statSync(path.join(h.hostDir, 'node')).size, fs.statSync(other).size, 'replaced without ETXTBSY');
  t.same(fs.readdirSync(h.hostDir).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
});

t.test('Azure Workload Identity: a host copy of the federated token, 0600, named in .env with the AZURE_ settings', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  const podToken = path.join(h.root, 'azure-identity-token');
  fs.writeFileSync(podToken, 'aad-jwt-1');
  const r = await install(opts(h, {
    AZURE_STORAGE_CONTAINER: 'cores', AZURE_STORAGE_ACCOUNT: 'acct', AZURE_CLIENT_ID: 'cid', AZURE_TENANT_ID: 'tid',
    AZURE_FEDERATED_TOKEN_FILE: podToken, AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
  }));
  t.ok(r.hostAzureTokenFile);
  t.equal(fs.readFileSync(r.hostAzureTokenFile!, 'utf8'), 'aad-jwt-1');
  t.equal(mode(r.hostAzureTokenFile!), 0o600);
  const env = parseEnvFile(fs.readFileSync(path.join(h.hostDir, '.env'), 'utf8')).values;
  t.equal(env.AZURE_FEDERATED_TOKEN_FILE, r.hostAzureTokenFile, 'the composer reads the host copy');
  t.equal(env.AZURE_STORAGE_CONTAINER, 'cores');
  t.equal(env.AZURE_CLIENT_ID, 'cid');
  t.equal(env.AZURE_TENANT_ID, 'tid');
  const { copyToken, HOST_AZURE_TOKEN_FILE } = await import('../../../src/agent/install/web-identity.ts');
  fs.writeFileSync(podToken, 'aad-jwt-2');
  await copyToken(podToken, h.hostDir, HOST_AZURE_TOKEN_FILE);
  t.equal(fs.readFileSync(r.hostAzureTokenFile!, 'utf8'), 'aad-jwt-2', 'refreshed');
});
