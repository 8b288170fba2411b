// Small helpers over lists of buffers.

/** Bytes in all of `buffers`. */
export const totalBytes = (buffers: readonly Uint8Array[]): number => buffers.reduce((n, b) => n + b.length, 0);
