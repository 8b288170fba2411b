// The Azure side of the direct sink (staged.ts): a block blob, its parts staged as blocks and
// committed in order. Nothing is visible until the commit; blocks never committed expire.
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { blockSender, commitBlocks, type BlobTarget } from '../../shared/azure-blob.ts';
import { openStagedSink } from './staged.ts';
import type { Sink } from './types.ts';

/** `metadata`: the dump's summary (object-metadata.ts), asked for at the commit, when most is known. */
export function openAzureSink(o: { config: Config; name: string; log: Logger; target: BlobTarget; tag: string; metadata?: () => Record<string, string> }): Sink {
  const { target, tag } = o;
  return openStagedSink({
    config: o.config, name: o.name, log: o.log,
    upload: {
      store: 'azure', bucket: target.container, key: target.name, uploadId: tag,
      send: blockSender(target, tag),
      complete: (parts, signal) => commitBlocks(target, parts.map((p) => p.etag), parts.reduce((n, p) => n + p.size, 0), signal, o.metadata?.()),
      // Uncommitted blocks cannot be deleted one by one; Azure drops them after a week.
      discard: async () => undefined,
      close: () => undefined,
    },
  });
}

