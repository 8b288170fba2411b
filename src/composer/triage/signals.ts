// Signal names and what si_code says about a signal (the kernel's numbering on x86_64 and aarch64).
import os from 'node:os';

// The first name of each number wins: SIGABRT, not its alias SIGIOT; SIGIO, not SIGPOLL.
const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(os.constants.signals)) if (!NAMES.has(n)) NAMES.set(n, name);

export function signalName(n: number | undefined): string | undefined {
  return n === undefined ? undefined : NAMES.get(n);
}

const GENERIC: Record<number, string> = { 0: 'SI_USER', 0x80: 'SI_KERNEL', [-1]: 'SI_QUEUE', [-2]: 'SI_TIMER', [-3]: 'SI_MESGQ', [-4]: 'SI_ASYNCIO', [-5]: 'SI_SIGIO', [-6]: 'SI_TKILL' };
const BY_SIGNAL: Record<string, readonly string[]> = {
  SIGSEGV: ['SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR', 'SEGV_ACCADI', 'SEGV_ADIDERR', 'SEGV_ADIPERR', 'SEGV_MTEAERR', 'SEGV_MTESERR', 'SEGV_CPERR'],
  SIGBUS: ['BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR', 'BUS_MCEERR_AR', 'BUS_MCEERR_AO'],
  SIGILL: ['ILL_ILLOPC', 'ILL_ILLOPN', 'ILL_ILLADR', 'ILL_ILLTRP', 'ILL_PRVOPC', 'ILL_PRVREG', 'ILL_COPROC', 'ILL_BADSTK', 'ILL_BADIADDR'],
  SIGFPE: ['FPE_INTDIV', 'FPE_INTOVF', 'FPE_FLTDIV', 'FPE_FLTOVF', 'FPE_FLTUND', 'FPE_FLTRES', 'FPE_FLTINV', 'FPE_FLTSUB', 'FPE_FLTUNK', 'FPE_CONDTRAP'],
  SIGTRAP: ['TRAP_BRKPT', 'TRAP_TRACE', 'TRAP_BRANCH', 'TRAP_HWBKPT', 'TRAP_UNK', 'TRAP_PERF'],
};

/** SEGV_MAPERR, SI_USER, ...; undefined for a code the kernel does not define. */
export function sigCodeName(signo: number | undefined, code: number | undefined): string | undefined {
  if (code === undefined) return undefined;
  if (code <= 0 || code === 0x80) return GENERIC[code];
  return BY_SIGNAL[signalName(signo) ?? '']?.[code - 1];
}

/** Signals whose si_addr is the faulting address. */
export function hasFaultAddress(signo: number | undefined): boolean {
  return ['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP'].includes(signalName(signo) ?? '');
}
