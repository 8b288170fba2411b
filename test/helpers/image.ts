// The built agent image, for tests: built (or found up to date) by `npm run image`'s own script,
// and unpacked into a plain directory with umoci, the way a runtime would see its root.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type Arch = 'amd64' | 'arm64';
export const archivePath = (arch: Arch) => path.join(repo, `dist/image/core-dump-handler-${arch}.oci.tar`);

/** Builds the image for one architecture unless the archive is up to date; returns its path. */
export function ensureImage(arch: Arch): string {
  execFileSync(process.execPath, ['native-free/build-image.mjs', '--arch', arch], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  return archivePath(arch);
}

export interface ImageConfig {
  architecture: string;
  os: string;
  config: { User?: string; Env?: string[]; Cmd?: string[]; WorkingDir?: string; Labels?: Record<string, string> };
}

export function imageConfig(archive: string): ImageConfig {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci-archive:${archive}`], { encoding: 'utf8' })) as ImageConfig;
}

/** Unpacks the archive's root into a fresh temp directory; the caller removes `dir`. */
export function unpackImage(archive: string): { dir: string; rootfs: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-image-'));
  const layout = path.join(dir, 'layout');
  fs.mkdirSync(layout);
  execFileSync('tar', ['-xf', archive, '-C', layout]);
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  const tag = index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'];
  if (!tag) throw new Error(`${archive}: no tagged manifest`);
  execFileSync('umoci', ['unpack', '--image', `${layout}:${tag}`, path.join(dir, 'bundle')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, rootfs: path.join(dir, 'bundle/rootfs') };
}
