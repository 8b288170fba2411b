// The error catalogue holds exactly the codes the code uses, and every warn or error log line in
// src/ carries a `code` field: a problem is always reported with a stable code.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { CdcError, ErrorCodes, codeOf, formatProblem, problem, problemOf } from '../../src/shared/errors.ts';

const SRC = new URL('../../src/', import.meta.url).pathname;
const files = (fs.readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(SRC, f));
const sources = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));

/** The first argument of each log.warn / log.error call: an object literal, or the object a name was bound to. */
function logCallArgs(text: string): string[] {
  const out: string[] = [];
  const re = /\.(?:warn|error|fatal)\(\s*(\{|[A-Za-z_]\w*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let start = m.index + m[0].length - 1;
    if (m[1] !== '{') {
      const decl = new RegExp(`const ${m[1]} = \\{`).exec(text);
      if (!decl) { out.push(`<${m[1]}: no object literal found>`); continue; }
      start = decl.index + decl[0].length - 1;
    }
    let depth = 0;
    let end = start;
    for (; end < text.length; end++) {
      if (text[end] === '{') depth++;
      else if (text[end] === '}' && --depth === 0) break;
    }
    out.push(text.slice(start, end + 1));
  }
  return out;
}

t.test('every warn and error log line carries a code', async (t) => {
  let calls = 0;
  for (const [file, text] of sources) {
    if (file.endsWith('config-readers.ts')) continue; // its warn() is the reader's own method, not a logger
    for (const arg of logCallArgs(text)) {
      calls++;
      t.match(arg, /\bcode\b/, `${path.relative(SRC, file)}: ${arg.slice(0, 90)}`);
    }
  }
  t.ok(calls >= 30, `found ${calls} warn/error calls`);
});

t.test('the catalogue holds exactly the codes the code uses', async (t) => {
  const used = new Set<string>();
  for (const [file, text] of sources) {
    if (file.endsWith(path.join('shared', 'errors.ts'))) continue;
    for (const m of text.matchAll(/'(CDC_[A-Z0-9_]+)'/g)) used.add(m[1]!);
  }
  t.same([...used].sort(), Object.keys(ErrorCodes).sort());
});

t.test('problems as values', async (t) => {
  const p = problem('CDC_ARGS_INVALID', 'flag -p\nis not a number');
  t.same(p, { code: 'CDC_ARGS_INVALID', detail: 'flag -p is not a number' }, 'detail is one line');
  t.equal(formatProblem(p), 'CDC_ARGS_INVALID: flag -p is not a number');
  const e = new CdcError('CDC_SPOOL_FULL', 'cap reached');
  t.same(problemOf(e), { code: 'CDC_SPOOL_FULL', detail: 'cap reached' }, 'a CdcError keeps its code and detail');
  t.equal(problemOf(new Error('boom'), 'CDC_CRI_FAILED').code, 'CDC_CRI_FAILED', 'anything else gets the fallback');
  t.equal(codeOf(e), 'CDC_SPOOL_FULL');
  t.equal(codeOf('x'), 'CDC_INTERNAL');
  t.match(e.message, /^CDC_SPOOL_FULL: .+ \(cap reached\)$/, 'the message says the code, what to do, and the detail');
});
