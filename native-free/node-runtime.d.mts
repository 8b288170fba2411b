// Types for node-runtime.mjs (used from the TypeScript tests).
export function nodeRuntime(arch: 'amd64' | 'arm64', cacheDir: string): { node: string; name: string; version: string; integrity: string };
