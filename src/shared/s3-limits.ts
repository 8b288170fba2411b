// S3's multipart limits, apart from the SDK so that code which only checks them (the spool
// manifest) never loads it.
export const MIN_PART_BYTES = 5 * 1024 * 1024; // every part but the last
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000; // S3's; S3_MAX_PARTS may set fewer (Swift's s3api: 1,000)
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4; // 5 TiB
