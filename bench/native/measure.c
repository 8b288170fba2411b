/* Runs `bash -c SCRIPT` and prints what it cost, for the whole process tree:
 *   {"wallS":..,"cpuS":..,"maxRssKiB":..,"writeBytes":..,"exit":..}
 * wait4() gives user+system CPU of the shell and every descendant it reaped, and the largest
 * peak RSS among them (a max, not a sum). writeBytes: the kernel adds a reaped child's I/O
 * accounting to its parent's, so our own /proc/self/io grows by what the whole tree caused to be
 * written to block devices (page-cache writes to disk, not pipes or sockets). write_bytes counts a
 * page when it is dirtied; cancelled_write_bytes counts the dirty pages dropped before writeback
 * (a deleted file, the composer's nameless release file): the difference is what reached or will
 * reach the disk. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long write_bytes(void) {
  FILE *f = fopen("/proc/self/io", "r");
  char line[128];
  long long v = -1, cancelled = 0, x;
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "write_bytes: %lld", &x) == 1) v = x;
    else if (sscanf(line, "cancelled_write_bytes: %lld", &x) == 1) cancelled = x;
  }
  if (f) fclose(f);
  return v < 0 ? v : v - cancelled;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: measure SCRIPT\n"); return 2; }
  long long w0 = write_bytes();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid == 0) { execl("/bin/bash", "bash", "-c", argv[1], (char *)NULL); _exit(127); }
  int status;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("{\"wallS\":%.4f,\"cpuS\":%.3f,\"maxRssKiB\":%ld,\"writeBytes\":%lld,\"exit\":%d}\n", wall, cpu, ru.ru_maxrss,
         write_bytes() - w0, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}
