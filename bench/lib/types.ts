// What a scenario is and what one run of it yields.
import type { BenchS3 } from './s3.ts';
import type { BenchAzure } from './azure.ts';
import type { CoreFile } from './cores.ts';
import type { Cost } from './measure.ts';
import type { Tools } from './tools.ts';

export interface RunContext {
  core: CoreFile;
  s3: BenchS3;
  /** Azurite, started on first use (lib/azure.ts). */
  azure: () => Promise<BenchAzure>;
  tools: Tools;
  log: (line: string) => void;
}

export interface Sample extends Cost {
  outBytes: number; // compressed (or stored) size of what was produced
  composerRssKiB?: number; // the composer's own peak RSS, from its DumpFinished log line
  heldMs?: number; // composer start -> stdin drained, from its CoreDrained log line
  serverCpuS?: number; // CPU the S3 server (RGW + OSD) spent during the run
}

export type Group = 'ceiling' | 'baseline' | 'peer' | 'composer';

export interface Scenario {
  id: string;
  title: string;
  group: Group;
  usesS3: boolean;
  /** Writes into the bench's Azurite container (cleared after each run). */
  usesAzure?: boolean;
  /** The memory setting this row changes from its default, said plainly: its RSS is not judged. */
  tunedMemory?: string;
  run(ctx: RunContext): Promise<Sample>;
  dispose?(): void;
}
