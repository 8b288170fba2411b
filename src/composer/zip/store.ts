// Stored entries: the bytes pass through as they come, only the CRC is computed.
import { crc32 } from 'node:zlib';
import { whenCopied } from '../../shared/gc-pacer.ts';
import { toBuffer, type Emit, type EncodeResult, type Input, type Recycle } from './parallel-blocks.ts';

/** `recycle`: each chunk goes back to its owner once the store has copied it (into a part). */
export async function storeStream(input: Input, emit: Emit, signal: AbortSignal, recycle?: Recycle): Promise<EncodeResult> {
  let crc = 0;
  let bytes = 0;
  for await (const raw of input) {
    if (signal.aborted) throw signal.reason;
    const chunk = toBuffer(raw);
    crc = crc32(chunk, crc);
    bytes += chunk.length;
    if (recycle) whenCopied([chunk], () => recycle(chunk));
    await emit(chunk);
  }
  if (signal.aborted) throw signal.reason;
  return { inputBytes: bytes, storedBytes: bytes, crc32: crc, storedCrc32: crc };
}
