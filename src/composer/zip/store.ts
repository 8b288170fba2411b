// Stored entries: the bytes pass through as they come, only the CRC is computed.
import { crc32 } from 'node:zlib';
import { toBuffer, type Emit, type EncodeResult, type Input } from './parallel-blocks.ts';

export async function storeStream(input: Input, emit: Emit, signal: AbortSignal): Promise<EncodeResult> {
  let crc = 0;
  let bytes = 0;
  for await (const raw of input) {
    if (signal.aborted) throw signal.reason;
    const chunk = toBuffer(raw);
    crc = crc32(chunk, crc);
    bytes += chunk.length;
    await emit(chunk);
  }
  if (signal.aborted) throw signal.reason;
  return { inputBytes: bytes, storedBytes: bytes, crc32: crc, storedCrc32: crc };
}
