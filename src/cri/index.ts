// Public surface of the CRI metadata lookup (contract in docs/ARCHITECTURE.md). Importing this
// stays cheap: the gRPC client is loaded only when a crash is inside a container.
export {
  lookupCrash, type CrashMetadata, type ContainerFacts, type LookupOptions, type PodMetadata, type StatusDocument,
} from './lookup.ts';
export type { CriSettings } from './settings.ts';
export { containerFromCgroup, type CgroupMatch } from './cgroup.ts';
