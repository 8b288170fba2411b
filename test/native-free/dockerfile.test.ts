// The Dockerfile's engine path (docker buildx runs the build stage), checked statically: pinned
// bases, non-root user, COPY sources that exist, and the build script the tests run. The buildah
// path (`npm run image`, which replaces the rootfs stage) is built and run in image-build.test.ts.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const text = fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
// Instructions with continuation lines joined and comments dropped.
const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const args = new Map(lines.filter((l) => /^ARG /.test(l)).map((l) => l.slice(4).split('=') as [string, string]));
const froms = lines.filter((l) => /^FROM /i.test(l)).map((l) => l.split(/\s+/)[1] ?? '');
const resolve = (s: string) => s.replace(/\$\{?(\w+)\}?/g, (_, n: string) => args.get(n) ?? '');

t.test('every base image is pinned to an exact version or digest', async (t) => {
  t.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms.map(resolve)) {
    if (f === 'scratch') continue;
    t.match(f, /(@sha256:[0-9a-f]{64}$)|(:\d+\.\d+\.\d+[\w.-]*$)/, `${f} pinned`);
    t.notMatch(f, /:latest\b/, `${f} not latest`);
  }
  t.equal(froms.at(-1), 'scratch', 'final stage carries only the built tree');
});

t.test('runs as non-root by default and starts the agent like the chart does', async (t) => {
  const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
  t.match(user, /^USER [1-9]\d*(:[1-9]\d*)?$/, 'numeric non-root USER');
  t.match(lines.find((l) => l.startsWith('CMD ')), /\["node", "\/app\/agent\.cjs", "run"\]/);
  const ds = fs.readFileSync(path.join(repo, 'chart/templates/daemonset.yaml'), 'utf8');
  t.match(ds, /command: \["node", "\/app\/agent\.cjs", "run"\]/, 'chart uses the same command');
  t.match(lines.find((l) => l.startsWith('ENV ')), /PATH=\/app\b/, 'node resolves to /app/node');
});

t.test('COPY sources exist and are not excluded by .dockerignore', async (t) => {
  const ignore = fs.readFileSync(path.join(repo, '.dockerignore'), 'utf8');
  for (const l of lines.filter((l) => /^COPY /.test(l) && !/--from=/.test(l))) {
    const parts = l.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      t.ok(fs.existsSync(path.join(repo, src)), `${src} exists`);
      t.match(ignore, new RegExp(`^!${src.replace(/\/$/, '')}/?$`, 'm'), `${src} allowed into the context`);
    }
  }
});

t.test('the build stage runs the tested script and the pinned npm install', async (t) => {
  t.ok(lines.includes('RUN npm ci --no-audit --no-fund'), 'npm ci from the lockfile');
  t.ok(lines.some((l) => /^RUN node native-free\/build-image-root\.mjs \/rootfs --with-libs$/.test(l)), 'build-image-root.mjs');
  t.ok(lines.some((l) => l === 'COPY --from=build /rootfs/ /'), 'the rootfs stage takes the script output');
  const stages = lines.filter((l) => /^FROM /i.test(l));
  t.equal(stages.at(-2), 'FROM scratch AS rootfs', 'a rootfs stage that --build-context rootfs=DIR can replace');
  t.equal(lines.at(lines.indexOf(stages.at(-1) ?? '') + 1), 'COPY --from=rootfs / /', 'final stage takes only that tree');
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const base = resolve(froms[0] ?? '');
  t.match(base, new RegExp(`^node:${pkg.devDependencies['node']?.replace(/\./g, '\\.')}-`), 'base Node = the tested Node');
  t.notOk(lines.some((l) => /--platform=\$BUILDPLATFORM/.test(l)), 'build stage runs on the target platform (arch-specific runtime)');
});

t.test('chart appVersion is a valid image tag', async (t) => {
  const chart = parse(fs.readFileSync(path.join(repo, 'chart/Chart.yaml'), 'utf8')) as { appVersion: string };
  t.match(chart.appVersion, /^[\w][\w.-]{0,127}$/);
});
