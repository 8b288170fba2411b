import t from 'tap';
import { crc32 } from 'node:zlib';
t.test('runtime', async (t) => { t.equal(crc32('a'), 0xe8b7be43); t.match(process.version, /^v26/); });
