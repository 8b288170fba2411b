// The spool protocol between the composer and the agent: names and documents (names.ts), the
// manifest check (manifest.ts) and the only file operations either uses on its directories (files.ts).
export * from './names.ts';
export * from './manifest.ts';
export * from './files.ts';
