// The partial-upload manifest across stores: S3 manifests written before issue 15 (no `store`)
// still parse; Azure's carry `store: "azure"` and block ids; anything else is refused.
import t from 'tap';
import { parseManifest } from '../../../src/shared/spool/manifest.ts';
import { blockId } from '../../../src/shared/azure-blob.ts';

const MiB = 1024 * 1024;
const base = {
  version: 1, bucket: 'b', key: 'k.zip', uploadId: 'u', partSize: 5 * MiB, restFile: 'k.zip.rest', restBytes: 10, createdAt: '2026-01-01T00:00:00Z',
};

t.test('an S3 manifest from before the store field parses as S3', (t) => {
  const m = parseManifest(JSON.stringify({ ...base, parts: [{ partNumber: 1, etag: '"e1"', size: 5 * MiB }] }), 'old');
  t.equal(m.store, undefined);
  t.equal(m.parts[0]!.etag, '"e1"');
  t.end();
});

t.test('an Azure manifest keeps its block ids', (t) => {
  const parts = [1, 2].map((n) => ({ partNumber: n, etag: blockId('a1b2c3d4e5f6', n), size: 5 * MiB }));
  const m = parseManifest(JSON.stringify({ ...base, store: 'azure', uploadId: 'a1b2c3d4e5f6', parts }), 'azure');
  t.equal(m.store, 'azure');
  t.same(m.parts.map((p) => Buffer.from(p.etag, 'base64').toString()), ['a1b2c3d4e5f6-000001', 'a1b2c3d4e5f6-000002']);
  t.end();
});

t.test('an unknown store is refused', (t) => {
  t.throws(() => parseManifest(JSON.stringify({ ...base, store: 'gcs', parts: [] }), 'x'), { code: 'CDC_MANIFEST_INVALID', message: /unknown store/ });
  t.end();
});
