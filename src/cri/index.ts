// Public surface of the CRI metadata lookup (contract in docs/ARCHITECTURE.md). Importing this
// stays cheap: the gRPC client is loaded only when a crash is inside a container.
export { lookupCrash, type CrashMetadata, type LookupOptions, type PodMetadata } from './lookup.ts';
export { containerFromCgroup, type CgroupMatch } from './cgroup.ts';
