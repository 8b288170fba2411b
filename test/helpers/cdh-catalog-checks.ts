// The cdh checks every store must pass over the same synthetic dumps (S3 in cdh-synthetic, Azure
// in cdh-azure): the pod filters, groups by fingerprint, a summary too long for its key, a zip
// without a summary, an ambiguous prefix.
import type { Test } from 'tap';
import type { ObjectStore } from '../../src/shared/object-store.ts';
import { jsonLines, runCdh } from './cdh.ts';
import { storeSynthetic, synthetic } from './summaries.ts';

export const VARIED = [
  synthetic(1, { fingerprint: 'f00d', namespace: 'shop', pod: 'cart-7d9f', container: 'cart', image: 'reg.example/cart:2' }),
  synthetic(2, { fingerprint: 'f00d', namespace: 'shop', pod: 'cart-8e1a', container: 'cart', image: 'reg.example/cart:2' }),
  synthetic(3, { fingerprint: 'f00d', namespace: 'pay', pod: 'cart-1111', container: 'cart', image: 'reg.example/cart:3' }),
  synthetic(4, { fingerprint: 'beef', namespace: 'pay', pod: 'ledger-0', container: 'ledger', image: `reg.example/${'x'.repeat(900)}:1`, signal: 6 }),
];
/** A zip with no summary (an older dump, or one whose summary failed): listed from its key alone. */
export const BARE = 'aaaaaaaa-0000-4000-8000-000000000000-dump-1-h-old-1-11';

export async function storeVaried(objects: ObjectStore): Promise<void> {
  await storeSynthetic(objects, VARIED);
  await objects.put(`${BARE}.zip`, 'x', 'application/zip');
}

/** `env` names a store holding storeVaried's dumps only; `allKeys`: its every key, summaries included. */
export function catalogChecks(t: Test, env: Record<string, string>, allKeys: () => Promise<string[]>): void {
  const pods = async (...args: string[]) => jsonLines(await runCdh(['list', '--json', ...args], env)).map((d) => d.pod);

  t.test('the pod filters (exact and glob)', async (t) => {
    t.same(await pods('--namespace', 'shop'), ['cart-8e1a', 'cart-7d9f']);
    t.same(await pods('--pod', 'cart-*'), ['cart-1111', 'cart-8e1a', 'cart-7d9f']);
    t.same(await pods('--container', 'ledger'), ['ledger-0']);
    t.same(await pods('--image', 'reg.example/cart:3'), ['cart-1111']);
    t.same(await pods('--fingerprint', 'f00d', '--namespace', 'pay'), ['cart-1111'], 'filters combine');
    t.same(await pods('--signal', 'ABRT'), ['ledger-0']);
  });

  t.test('a summary too long for its key comes from its body; a bare zip still lists', async (t) => {
    const all = jsonLines(await runCdh(['list', '--json'], env));
    t.equal(all.length, 5);
    t.equal(all.find((d) => d.pod === 'ledger-0')!.image.length, 'reg.example/'.length + 900 + 2, 'the whole image name');
    t.match(all.find((d) => d.name === BARE), { id: 'aaaaaaaa-0000-4000-8000-000000000000', exe: null, state: 'stored' });
    t.ok((await allKeys()).some((k) => k.endsWith('_-')), 'the long one is stored with its summary in the body');
  });

  t.test('groups by fingerprint', async (t) => {
    const g = jsonLines(await runCdh(['groups', '--json'], env));
    t.match(g[0], { fingerprint: 'f00d', count: 3, pods: ['pay/cart-1111', 'shop/cart-7d9f', 'shop/cart-8e1a'], namespaces: ['pay', 'shop'], latest: VARIED[2]!.uuid });
    t.equal(g[0]!.firstSeen, new Date(VARIED[0]!.time).toISOString());
    t.equal(g[0]!.lastSeen, new Date(VARIED[2]!.time).toISOString());
    t.match(g.find((x) => x.fingerprint === 'beef'), { count: 1 });
    t.match(g.find((x) => x.fingerprint === null), { count: 1, exe: null }, 'the bare zip groups apart');
    const table = await runCdh(['groups', '--fingerprint', 'f00d'], { ...env, COLUMNS: '200' });
    t.match(table.stdout, /^FINGERPRINT +COUNT.*\nf00d +3 +app +SIGSEGV/);
  });

  t.test('an ambiguous prefix names the candidates', async (t) => {
    const r = await runCdh(['show', '1000000'], env);
    t.equal(r.status, 1);
    t.match(r.stderr, /"1000000" matches 4 dumps: .*\(CDC_CLI_ID_AMBIGUOUS\)/);
  });
}
