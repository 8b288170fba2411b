/* Makes a process whose memory looks like a real workload's, then crashes it through the kernel.
 *
 *   corefill fill MIB [CODE_FILE...]        fill MIB of mixed memory, then SIGSEGV (one core)
 *   corefill zfill MIB [CODE_FILE...]       the same with a highly compressible mix (see below)
 *   corefill hold MIB COUNT [CODE_FILE...]  COUNT times: fork a child that fills MIB and crashes;
 *                                           print "crash_unix_ms held_us" per crash, where held_us
 *                                           is the time from the crash to our waitpid() returning
 *
 * Mix (fractions of MIB): 20% code (bytes of the CODE_FILEs, e.g. the node binary and libc, read
 * into anonymous memory: file-backed text is not in a core by default), 30% heap with structure
 * (a linked list of malloc'd records holding pointers and text), 20% random bytes, 30% zero pages
 * (touched, so they are resident as in a real heap that was freed and reused).
 * The compressible mix (zfill) stands for a large-memory process whose heap is mostly reserved and
 * untouched by data, or freed: 5% code, 15% structured heap, 80% zero pages; it compresses > 10:1. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct record { struct record *next; struct record *owner; uint64_t id; uint32_t len; char text[]; };
static struct record *volatile head; /* volatile: keep the list alive until the crash */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static char *region(size_t bytes) {
  char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  return p;
}

static void fill_code(size_t bytes, char **files, int nfiles) {
  char *p = region(bytes);
  size_t off = 0;
  for (int round = 0; off < bytes && nfiles > 0; round++) {
    int fd = open(files[round % nfiles], O_RDONLY);
    if (fd < 0) { perror(files[round % nfiles]); break; }
    ssize_t n;
    while (off < bytes && (n = read(fd, p + off, bytes - off > (1 << 20) ? (1 << 20) : bytes - off)) > 0) off += (size_t)n;
    close(fd);
  }
  for (; off < bytes; off += 8) *(uint64_t *)(p + off) = next_rand(); /* no code files: random */
}

static void fill_heap(size_t bytes) {
  static const char *verbs[] = { "GET", "PUT", "POST", "DELETE" };
  static const char *states[] = { "ACTIVE", "IDLE", "CLOSING", "BLOCKED" };
  size_t used = 0;
  struct record *prev = NULL;
  char buf[256];
  while (used < bytes) {
    uint64_t r = next_rand();
    int n = snprintf(buf, sizeof buf, "session=%08llx user=user%llu %s /api/v1/orders/%llu?cursor=%llu state=%s",
                     (unsigned long long)(r & 0xffffffff), (unsigned long long)(r % 5000), verbs[r % 4],
                     (unsigned long long)((r >> 20) % 100000), (unsigned long long)(r >> 40), states[(r >> 8) % 4]);
    struct record *rec = malloc(sizeof *rec + (size_t)n + 1);
    if (!rec) { perror("malloc"); exit(1); }
    rec->next = head; rec->owner = prev; rec->id = r; rec->len = (uint32_t)n;
    memcpy(rec->text, buf, (size_t)n + 1);
    head = rec; prev = rec;
    used += sizeof *rec + (size_t)n + 1 + 16; /* + malloc's header and rounding, roughly */
  }
}

static void fill(size_t mib, int compressible, char **files, int nfiles) {
  size_t total = mib << 20;
  size_t code = compressible ? total / 20 : total / 5;
  size_t heap = compressible ? total * 3 / 20 : total * 3 / 10;
  size_t random = compressible ? 0 : total / 5;
  fill_code(code, files, nfiles);
  fill_heap(heap);
  if (random) {
    uint64_t *rnd = (uint64_t *)region(random);
    for (size_t i = 0; i < random / 8; i++) rnd[i] = next_rand();
  }
  size_t zeros = total - code - heap - random;
  memset(region(zeros), 0, zeros);
}

static uint64_t now_ns(clockid_t clock) { struct timespec t; clock_gettime(clock, &t); return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }

static void crash(void) {
  struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
  setrlimit(RLIMIT_CORE, &unlimited);
  *(volatile int *)0 = 42;
}

int main(int argc, char **argv) {
  if (argc >= 3 && (strcmp(argv[1], "fill") == 0 || strcmp(argv[1], "zfill") == 0)) {
    fill((size_t)atol(argv[2]), argv[1][0] == 'z', argv + 3, argc - 3);
    crash();
  }
  if (argc >= 4 && strcmp(argv[1], "hold") == 0) {
    size_t mib = (size_t)atol(argv[2]);
    int count = atoi(argv[3]);
    /* Shared with the child: the instant it crashes, on CLOCK_MONOTONIC and on the wall clock. */
    volatile uint64_t *stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < count; i++) {
      pid_t child = fork();
      if (child == 0) {
        fill(mib, 0, argv + 4, argc - 4);
        stamp[1] = now_ns(CLOCK_REALTIME);
        stamp[0] = now_ns(CLOCK_MONOTONIC);
        crash();
      }
      int status;
      waitpid(child, &status, 0);
      uint64_t reaped = now_ns(CLOCK_MONOTONIC);
      if (!WIFSIGNALED(status)) { fprintf(stderr, "child did not crash\n"); return 1; }
      printf("%llu %llu\n", (unsigned long long)(stamp[1] / 1000000), (unsigned long long)((reaped - stamp[0]) / 1000));
      fflush(stdout);
    }
    return 0;
  }
  fprintf(stderr, "usage: corefill fill|zfill MIB [CODE_FILE...] | corefill hold MIB COUNT [CODE_FILE...]\n");
  return 2;
}
