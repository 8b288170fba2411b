import t from 'tap';
import { buildCorePattern, isOurPattern, CORE_PATTERN_MAX_BYTES } from '../../../src/agent/install/core-pattern.ts';

t.test('the default HOST_DIR gets every flag', async (t) => {
  const { pattern, dropped } = buildCorePattern('/var/mnt/core-dump-handler');
  t.equal(pattern, '|/var/mnt/core-dump-handler/cdc -c=%c -e=%e -p=%p -s=%s -t=%t -h=%h -P=%P -E=%E -u=%u -g=%g -D=%d -F=%F');
  t.same(dropped, []);
  t.ok(Buffer.byteLength(pattern) <= CORE_PATTERN_MAX_BYTES);
  t.ok(isOurPattern(pattern + '\n', '/var/mnt/core-dump-handler'));
  t.notOk(isOurPattern('|/usr/lib/systemd/systemd-coredump %P', '/var/mnt/core-dump-handler'));
});

t.test('a long HOST_DIR drops -F, then -D, then -p', async (t) => {
  const base = '|/x/cdc -c=%c -e=%e -p=%p -s=%s -t=%t -h=%h -P=%P -E=%E -u=%u -g=%g -D=%d -F=%F'.length; // with hostDir "/x"
  const dir = (len: number) => '/' + 'd'.repeat(len - 1);
  const oneDrop = buildCorePattern(dir(2 + (CORE_PATTERN_MAX_BYTES - base) + 1));
  t.same(oneDrop.dropped, ['-F']);
  t.notMatch(oneDrop.pattern, /-F=/);
  const threeDrops = buildCorePattern(dir(2 + (CORE_PATTERN_MAX_BYTES - base) + 18));
  t.same(threeDrops.dropped, ['-F', '-D', '-p']);
  t.match(threeDrops.pattern, /-P=%P/);
  t.ok(Buffer.byteLength(threeDrops.pattern) <= CORE_PATTERN_MAX_BYTES);
});

t.test('a pattern over 127 bytes even without optional flags is refused', async (t) => {
  const long = '/var/mnt/' + 'x'.repeat(80);
  t.throws(() => buildCorePattern(long), { name: 'CdcError', code: 'CDC_INSTALL_PATTERN_TOO_LONG' });
});
