// S3's multipart limits, apart from the SDK so that code which only checks them (the spool
// manifest) never loads it.
export const MIN_PART_BYTES = 5 * 1024 * 1024; // every part but the last
export const MAX_PARTS = 10_000;
