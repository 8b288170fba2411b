import t from 'tap';
import { renderName, safeSegment, uniqueName } from '../../src/composer/template.ts';
import { DEFAULT_FILENAME_TEMPLATE } from '../../src/shared/config.ts';

const base = { uuid: 'u-1', timestamp: 123123123, hostname: 'ahostname', exe_name: 'anexe', pid: 2, signal: 9 };

t.test('the default template renders as in the Rust original', async (t) => {
  t.equal(renderName(DEFAULT_FILENAME_TEMPLATE, base, 'u-1').name, 'u-1-dump-123123123-ahostname-anexe-2-9');
});

t.test('double braces and ours: namespace, podname, container', async (t) => {
  const r = renderName('{{namespace}}-{podname}-{{ container }}', { ...base, namespace: 'ns', podname: 'p', container: 'c' }, 'u');
  t.equal(r.name, 'ns-p-c');
  t.same(r.problems, []);
});

t.test('hostile values cannot escape the directory or the key', async (t) => {
  for (const evil of ['../../etc/passwd', '/abs/path', 'a\nb\r\0c', '..', '.hidden', '-rf', 'x'.repeat(4096), '\u00ff\u2603 junk\u0007']) {
    const { name } = renderName('{exe_name}', { ...base, exe_name: evil }, 'fallback-uuid');
    t.notMatch(name, /[/\\\n\r\0]/, `no separators for ${JSON.stringify(evil.slice(0, 20))}`);
    t.notMatch(name, /\.\./);
    t.notMatch(name, /^[.-]/);
    t.ok(name.length > 0 && name.length <= 160);
  }
  const long = renderName(DEFAULT_FILENAME_TEMPLATE, { ...base, hostname: 'h'.repeat(4000), exe_name: 'e'.repeat(4000) }, 'u');
  t.ok(long.name.length <= 160);
  t.match(long.name, /^u-1-dump-123123123-h+-e+-2-9$/);
});

t.test('a hostile template is sanitised too; an unusable one falls back to the uuid', async (t) => {
  t.equal(renderName('../{pid}/x', base, 'u').name, '__2_x');
  const r = renderName('{nope}', base, 'the-uuid');
  t.equal(r.name, 'unknown');
  t.match(r.problems[0], /unknown template variable/);
  t.equal(renderName('///', base, 'the-uuid').name, 'the-uuid');
  t.equal(safeSegment('a/b'), 'a_b');
});

t.test('missing values read "unknown"', async (t) => {
  t.equal(renderName('{namespace}-{pid}', { pid: 1 }, 'u').name, 'unknown-1');
});

t.test('a template without {uuid} gets the uuid added, so no dump replaces another', async (t) => {
  const a = uniqueName('{exe_name}-{pid}', 'anexe-2', 'aaaa-1111');
  const b = uniqueName('{exe_name}-{pid}', 'anexe-2', 'bbbb-2222');
  t.equal(a.name, 'anexe-2-aaaa-1111');
  t.not(a.name, b.name, 'two crashes of the same program in the same second differ');
  t.match(a.problem, /has no \{uuid\}/);
  t.same(uniqueName('{{ uuid }}-{pid}', 'u-2', 'u'), { name: 'u-2' }, 'with {uuid} the name is kept');
  t.ok(uniqueName('{exe_name}', 'e'.repeat(160), 'x'.repeat(36)).name.length <= 160, 'the suffix fits the length cap');
});
