// The little of zip-stream's API that bench/design-pipeline.ts uses (the package ships no types).
declare module 'zip-stream' {
  import type { Readable, Transform } from 'node:stream';
  interface ZipStreamOptions { zlib?: { level?: number }; forceZip64?: boolean; store?: boolean }
  export default class ZipStream extends Transform {
    constructor(options?: ZipStreamOptions);
    entry(source: Readable | Buffer | string, data: { name: string }, callback: (err: Error | null) => void): this;
    finish(): void;
  }
}
