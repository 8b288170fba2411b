// Azure Blob Storage as the store (issue 15), with real parts: the kernel's core_pattern runs the
// built composer, Azurite (Microsoft's emulator) is the store, the loopback proxy cuts it, and the
// built agent finishes what the composer spooled.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startAzurite, type TestContainer } from '../helpers/azurite.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { installComposer, type InstalledComposer } from '../helpers/composer-install.ts';
import { buildCrasher } from '../helpers/crasher.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { spoolListing } from '../helpers/spool-listing.ts';
import { AGENT_BUNDLE, startAgent } from '../helpers/agent-process.ts';
import { scratchHost } from '../helpers/scratch-host.ts';
import { backtrace, saveTemp, unzipTest, zipEntry, zipNames } from '../helpers/zip-check.ts';
import { crashMany, finished } from './faults/harness.ts';

const MiB = 1 << 20;
const azurite = await startAzurite();
t.teardown(() => azurite.stop());
const program = buildCrasher();

/**
 * core_pattern through a tee: the kernel's core goes to the composer and, byte for byte, to
 * {dir}/core.{pid}, so the core stored in Azure can be compared with what the kernel gave.
 */
function teePattern(c: InstalledComposer): string {
  const tee = path.join(c.dir, 'tee');
  fs.writeFileSync(tee, `#!/bin/sh\np=$1; shift\n/usr/bin/tee "${c.dir}/core.$p.tmp" | "${c.launcher}" "$@"\n/bin/mv "${c.dir}/core.$p.tmp" "${c.dir}/core.$p"\n`, { mode: 0o755 });
  return c.pattern.replace(`|${c.launcher}`, `|${tee} %P`).replace(' -F=%F', '');
}

/** The one blob of the container, checked with Info-ZIP; its core entry compared with the kernel's. */
async function checkBlob(t: Test, box: TestContainer, c: InstalledComposer): Promise<string> {
  const blobs = await box.blobs();
  t.equal(blobs.length, 1, `one blob: ${blobs.join(', ')}`);
  const zip = saveTemp(await box.get(blobs[0]!));
  t.match(unzipTest(zip), /No errors detected/);
  const base = blobs[0]!.replace(/\.zip$/, '');
  t.ok(zipNames(zip).includes(`${base}.core`), 'the core entry');
  const kernelCore = fs.readdirSync(c.dir).find((f) => /^core\.\d+$/.test(f));
  if (kernelCore) {
    const stored = saveTemp(zipEntry(zip, `${base}.core`), 'stored.core');
    execFileSync('cmp', [stored, path.join(c.dir, kernelCore)]); // throws on any difference
    t.pass(`the stored core cmps equal to the kernel's (${fs.statSync(stored).size} bytes)`);
  }
  return zip;
}

async function agentSweep(c: InstalledComposer, env: Record<string, string>) {
  const h = scratchHost('cdc-azure-agent-');
  try {
    const a = startAgent(['sweep'], h, { HOST_DIR: c.dir, CORE_DIR: c.coreDir, EVENT_DIR: c.eventDir, ...env }, AGENT_BUNDLE);
    return { code: await a.exited, lines: a.lines };
  } finally {
    h.cleanup();
  }
}

t.test('a real crash streams into an Azure block blob: a whole zip, gdb reads the core', async (t) => {
  const box = await azurite.container('direct');
  const c = installComposer({ ...box.env(), COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5' });
  t.teardown(async () => { c.remove(); await box.destroy(); });
  await withCorePattern(teePattern(c), async () => {
    await crashMany(program, 1, 24);
    await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
  });
  t.equal(finished(c)[0]?.outcome, 'stored', 'stored directly');
  const up = c.log().find((l) => l.event === 'UploadCompleted');
  t.equal(up?.store, 'azure');
  t.ok(Number(up?.parts) >= 5, `${up?.parts} blocks of 5 MiB`);
  const zip = await checkBlob(t, box, c);
  t.match(backtrace(zip, program), /crash_here[\s\S]*do_work[\s\S]*main/, 'gdb names the crashing frames');
  const props = await box.client.getBlockBlobClient((await box.blobs())[0]!).getProperties();
  t.match(props.metadata, { signal: 'SIGSEGV', node: /\S/, fingerprint: /^[0-9a-f]{16}$/ }, 'the dump summary as blob metadata (set at the commit: the fingerprint is known by then)');
  t.equal(props.contentType, 'application/zip');
  t.same(spoolListing(c.coreDir), [], 'nothing spooled');
  const record = JSON.parse(fs.readFileSync(path.join(c.eventDir, fs.readdirSync(c.eventDir)[0]!), 'utf8'));
  t.equal(record.storage, 's3', 'the agent record says stored (Event at once)');
  t.equal(record.bucket, box.name, 'naming the container');
});

t.test('Azure down at the start: the dump is spooled, the agent uploads it later', async (t) => {
  const box = await azurite.container('down');
  const c = installComposer({ ...box.env('http://127.0.0.1:9/devstoreaccount1') });
  t.teardown(async () => { c.remove(); await box.destroy(); });
  await withCorePattern(teePattern(c), async () => {
    await crashMany(program, 1, 8);
    await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
  });
  t.equal(finished(c)[0]?.outcome, 'spooled');
  t.ok(c.log().some((l) => l.event === 'SpoolFallbackChosen' && l.code === 'CDC_S3_UNREACHABLE'), 'fell back with its code');
  t.equal(spoolListing(c.coreDir).filter((f) => f.endsWith('.zip')).length, 1, 'a whole zip in the spool');
  t.same(await box.blobs(), [], 'nothing in Azure yet');
  const agent = await agentSweep(c, box.env());
  t.equal(agent.code, 0);
  t.ok(agent.lines.some((l) => l.event === 'DumpUploaded' && l.store === 'azure'), 'the agent uploaded it to Azure');
  await checkBlob(t, box, c);
  t.same(spoolListing(c.coreDir), [], 'the spool is empty');
});

t.test('Azure cut mid-stream: staged blocks stay, the rest is spooled, the agent commits the blob', async (t) => {
  const box = await azurite.container('cut');
  const proxy = await startTcpProxy(azurite.port);
  const c = installComposer({ ...box.env(`${proxy.endpoint}/devstoreaccount1`), COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' });
  t.teardown(async () => { c.remove(); await proxy.close(); await box.destroy(); });
  proxy.cutAfter(12 * MiB);
  await withCorePattern(teePattern(c), async () => {
    await crashMany(program, 1, 40);
    await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
  });
  t.equal(finished(c)[0]?.outcome, 'partial');
  const manifestFile = spoolListing(c.coreDir).find((f) => f.endsWith('.zip.upload.json'));
  t.ok(manifestFile, 'a manifest');
  const m = JSON.parse(fs.readFileSync(path.join(c.coreDir, manifestFile!), 'utf8'));
  t.equal(m.store, 'azure');
  t.equal(m.bucket, box.name);
  t.ok(m.parts.length >= 1 && m.parts.length <= 2, `${m.parts.length} blocks confirmed before the cut`);
  const staged = await box.client.getBlockBlobClient(m.key).getBlockList('uncommitted');
  t.same(m.parts.map((p: { etag: string }) => p.etag), (staged.uncommittedBlocks ?? []).map((b) => b.name).filter((n) => m.parts.some((p: { etag: string }) => p.etag === n)), 'the manifest names staged blocks');
  t.same(await box.blobs(), [], 'no blob before the commit');
  proxy.restore();
  const agent = await agentSweep(c, box.env());
  t.equal(agent.code, 0);
  t.ok(agent.lines.some((l) => l.event === 'PartialUploadCompleted' && l.store === 'azure'), 'the agent committed it');
  await checkBlob(t, box, c);
  t.same(spoolListing(c.coreDir), [], 'rest and manifest removed');
});

t.test('the agent SIGKILLed while committing a cut dump, restarted: one blob, whole', async (t) => {
  const box = await azurite.container('kill');
  const proxy = await startTcpProxy(azurite.port);
  const c = installComposer({ ...box.env(`${proxy.endpoint}/devstoreaccount1`), COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' });
  t.teardown(async () => { c.remove(); await proxy.close(); await box.destroy(); });
  proxy.cutAfter(12 * MiB);
  await withCorePattern(teePattern(c), async () => {
    await crashMany(program, 1, 96);
    await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
  });
  t.equal(finished(c)[0]?.outcome, 'partial');
  const m = JSON.parse(fs.readFileSync(path.join(c.coreDir, spoolListing(c.coreDir).find((f) => f.endsWith('.zip.upload.json'))!), 'utf8'));
  proxy.restore();
  proxy.throttle(16 * MiB); // slow enough to be caught in the middle
  const env = { ...box.env(`${proxy.endpoint}/devstoreaccount1`), COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' };
  const h = scratchHost('cdc-azure-agent-');
  t.teardown(() => h.cleanup());
  const agentEnv = { HOST_DIR: c.dir, CORE_DIR: c.coreDir, EVENT_DIR: c.eventDir, ...env };
  const first = startAgent(['sweep'], h, agentEnv, AGENT_BUNDLE);
  const blob = box.client.getBlockBlobClient(m.key);
  const before = m.parts.length;
  await waitFor('the agent staging rest blocks', async () => ((await blob.getBlockList('uncommitted')).uncommittedBlocks?.length ?? 0) >= before + 3, 120_000);
  first.proc.kill('SIGKILL');
  await first.exited;
  t.same(await box.blobs(), [], 'killed before the commit: no blob');
  t.ok(fs.existsSync(path.join(c.coreDir, m.restFile)), 'rest and manifest kept');
  proxy.restore();
  const second = startAgent(['sweep'], h, agentEnv, AGENT_BUNDLE);
  t.equal(await second.exited, 0);
  await checkBlob(t, box, c);
  t.same(spoolListing(c.coreDir), [], 'rest and manifest removed');
  // Run again: the blob is there, nothing is left to do and nothing is replaced.
  const third = await agentSweep(c, env);
  t.equal(third.code, 0);
  t.equal((await box.blobs()).length, 1, 'still one blob');
});

t.test('the agent on Azure: /readyz asks the container, and says why when it is missing', async (t) => {
  const box = await azurite.container('ready');
  t.teardown(() => box.destroy());
  for (const [env, status, reasons] of [
    [box.env(), 200, []],
    [{ ...box.env(), AZURE_STORAGE_CONTAINER: 'no-such-container' }, 503, [/Azure container no-such-container did not answer/]],
  ] as const) {
    const h = scratchHost('cdc-azure-ready-');
    const a = startAgent(['run'], h, { ...env });
    await waitFor('health server', () => a.lines.some((l) => l.event === 'HealthServerStarted'));
    const port = a.lines.find((l) => l.event === 'HealthServerStarted')!.port;
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    t.equal(r.status, status, `${env.AZURE_STORAGE_CONTAINER}: ${status}`);
    t.match(await r.json(), { ready: status === 200, reasons });
    a.proc.kill('SIGTERM');
    await a.exited;
    h.cleanup();
  }
});

t.test('Azure stalls mid-stream: after COMP_PROGRESS_TIMEOUT the rest is spooled, the agent commits the blob', async (t) => {
  const box = await azurite.container('stall');
  const proxy = await startTcpProxy(azurite.port);
  const c = installComposer({ ...box.env(`${proxy.endpoint}/devstoreaccount1`), COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '2', COMP_PROGRESS_TIMEOUT: '2' });
  t.teardown(async () => { c.remove(); await proxy.close(); await box.destroy(); });
  proxy.stallAfter(12 * MiB);
  await withCorePattern(teePattern(c), async () => {
    await crashMany(program, 1, 40);
    await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
  });
  const done = finished(c)[0]!;
  t.equal(done.outcome, 'partial');
  t.ok(Number(done.ms) < 20_000, `the composer ended ${done.ms} ms after its start, not after the SDK's retries`);
  t.ok(c.log().some((l) => l.event === 'UploadFailedMidstream' && l.code === 'CDC_S3_STALLED'), 'the stall has its code');
  proxy.restore();
  const agent = await agentSweep(c, box.env());
  t.equal(agent.code, 0);
  await checkBlob(t, box, c);
  t.same(spoolListing(c.coreDir), [], 'rest and manifest removed');
});
