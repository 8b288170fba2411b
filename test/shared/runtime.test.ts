// The project installs and tests on its own Node LTS (the `node` devDependency), not the machine's.
import t from 'tap';
import { crc32 } from 'node:zlib';
import zlib from 'node:zlib';

t.test('tests run on the pinned Node 26 LTS, which has native CRC-32 and zstd', async (t) => {
  t.match(process.version, /^v26\./);
  t.equal(crc32('a'), 0xe8b7be43);
  t.equal(typeof zlib.createZstdCompress, 'function');
});
