import t from 'tap';
import { parseKernelArgs } from '../../src/composer/args.ts';

t.test('the Rust original flags and ours', async (t) => {
  const a = parseKernelArgs(['-c=1048576', '-e=crasher', '-p=7', '-s=11', '-t=1700000000', '-h=node-1', '-E=!usr!bin!crasher',
    '-d=/var/cores', '-P=4242', '-u=1000', '-g=1000', '-D=1', '-F=3', '-i=8', '-I=4243']);
  t.equal(a.rlimitCore, 1048576n);
  t.equal(a.exeName, 'crasher');
  t.equal(a.pid, 7);
  t.equal(a.globalPid, 4242);
  t.equal(a.signal, 11);
  t.equal(a.timestamp, 1700000000);
  t.equal(a.hostname, 'node-1');
  t.equal(a.pathname, '!usr!bin!crasher');
  t.equal(a.coreDir, '/var/cores');
  t.same([a.uid, a.gid, a.dumpMode, a.pidfd, a.tid, a.globalTid], [1000, 1000, 1, 3, 8, 4243]);
  t.same(a.problems, []);
});

t.test('unlimited RLIMIT_CORE is undefined, zero is zero', async (t) => {
  t.equal(parseKernelArgs(['-c=18446744073709551615']).rlimitCore, undefined);
  t.equal(parseKernelArgs(['-c=0']).rlimitCore, 0n);
});

t.test('long names and separate values', async (t) => {
  const a = parseKernelArgs(['--limit-size=5', '--exe-name', 'x', '-s', '6']);
  t.equal(a.rlimitCore, 5n);
  t.equal(a.exeName, 'x');
  t.equal(a.signal, 6);
});

t.test('garbled and missing flags degrade to problems, never throw', async (t) => {
  const a = parseKernelArgs(['-p=abc', '-s=99999', 'junk', '-F=%F', '-c=', '--what=1', '-P=1e9', '-e=a b\nc']);
  t.equal(a.pid, undefined);
  t.equal(a.signal, undefined);
  t.equal(a.pidfd, undefined);
  t.equal(a.globalPid, undefined);
  t.equal(a.exeName, 'a b\nc');
  t.ok(a.problems.length >= 5, a.problems.join('; '));
  t.same(parseKernelArgs([]).problems, []);
});
