// libc calls Node has no API for (fcntl's F_SETPIPE_SZ, glibc's malloc_trim), through node:ffi
// (Node 26.1+, experimental), resolved in the process image. Where node:ffi or the symbol is
// missing (an older runtime, a libc without it), each returns undefined: the caller goes on
// without, a little slower or a little larger, never failing.

type Fn = (...a: (number | bigint)[]) => number;
interface Ffi {
  dlopen(path: null, defs: Record<string, { arguments: string[]; return: string }>): { functions: Record<string, Fn> };
}

let ffi: Ffi | null | undefined;
const resolved = new Map<string, Fn | null>();

function loadFfi(): Ffi | null {
  if (ffi !== undefined) return ffi;
  // node:ffi announces itself once on stderr as experimental; the composer's stderr is the kernel's
  // and nobody reads it, so that one notice is dropped.
  const emit = process.emitWarning;
  process.emitWarning = (() => {}) as typeof process.emitWarning;
  try {
    ffi = (process.getBuiltinModule('node:ffi') as Ffi | undefined) ?? null;
  } catch {
    ffi = null;
  } finally {
    process.emitWarning = emit;
  }
  return ffi;
}

function libc(name: string, args: string[], ret: string): Fn | null {
  let fn = resolved.get(name);
  if (fn !== undefined) return fn;
  try {
    fn = loadFfi()?.dlopen(null, { [name]: { arguments: args, return: ret } }).functions[name] ?? null;
  } catch {
    fn = null;
  }
  resolved.set(name, fn);
  return fn;
}

/** Calls a libc function; undefined where it cannot be resolved or the call throws. */
function call(name: string, args: string[], ret: string, values: (number | bigint)[]): number | undefined {
  const fn = libc(name, args, ret);
  try {
    return fn ? fn(...values) : undefined;
  } catch {
    return undefined;
  }
}

/** fcntl(fd, cmd, arg); undefined where it cannot be called. */
export function fcntl(fd: number, cmd: number, arg: number): number | undefined {
  return call('fcntl', ['int32', 'int32', 'int32'], 'int32', [fd, cmd, arg]);
}

/**
 * malloc_trim(0): gives free pages inside the malloc heap back to the kernel (MADV_DONTNEED), not
 * only its free top. true: some were given back.
 */
export function mallocTrim(): boolean | undefined {
  const r = call('malloc_trim', ['uint64'], 'int32', [0n]);
  return r === undefined ? undefined : r === 1;
}
