/*
 * install-4k and walk-4k in plain C, with the definitions of bench/install-4k.ts and
 * bench/walk-4k.ts: a 4-level direct map of `bytes` from VA 0xffff888000000000 to PA 0 with
 * 4 KiB pages and entries P | R/W | G | XD, table frames bump-allocated (and zeroed) from
 * PA 0x1000000 up, intermediate entries P | R/W | U/S; then `walks` full page walks of
 * VA = base + (x & (bytes - 1)) with the 64-bit xorshift x stepped before each walk, the
 * checksum being the XOR of the physical addresses.
 *
 * The pool is one buffer allocated once: the first install run touches it (page faults), the
 * later ones reuse it. Each run prints the best, median and first of its runs as JSON lines.
 *
 * usage: pagetable BYTES WALKS INSTALL_REPS WALK_REPS
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_BASE 0x1000000ull
#define ADDR_MASK 0x000ffffffffff000ull
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define PS 0x80ull
#define LEAF_FLAGS 0x8000000000000103ull
#define VA_BASE 0xffff888000000000ull

static uint64_t *pool;       /* the pool's frames, PA POOL_BASE .. */
static uint64_t pool_frames; /* capacity */
static uint64_t next_frame;  /* bump pointer (frames handed out) */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The table at physical address pa. */
static inline uint64_t *table(uint64_t pa) { return pool + ((pa - POOL_BASE) >> 3); }

static uint64_t alloc_table(void) {
  if (next_frame == pool_frames) {
    fprintf(stderr, "pool exhausted\n");
    exit(1);
  }
  uint64_t pa = POOL_BASE + (next_frame++ << 12);
  memset(table(pa), 0, 4096);
  return pa;
}

/* Installs the map; returns the root table's PA. */
static uint64_t install(uint64_t bytes) {
  next_frame = 0;
  uint64_t root = alloc_table();
  uint64_t pages = bytes >> 12;
  for (uint64_t page = 0; page < pages;) {
    uint64_t va = VA_BASE + (page << 12);
    uint64_t *t = table(root);
    for (int level = 4; level > 1; level--) {
      unsigned i = (va >> (12 + 9 * (level - 1))) & 511;
      if (!(t[i] & P)) t[i] = alloc_table() | P | RW | US;
      t = table(t[i] & ADDR_MASK);
    }
    unsigned first = (va >> 12) & 511;
    uint64_t count = 512 - first;
    if (count > pages - page) count = pages - page;
    uint64_t pa = page << 12;
    for (uint64_t k = 0; k < count; k++) t[first + k] = (pa + (k << 12)) | LEAF_FLAGS;
    page += count;
  }
  return root;
}

/* A full 4-level walk: the PA of va, or ~0 when some entry is not present. */
static inline uint64_t walk(uint64_t root, uint64_t va) {
  const uint64_t *t = table(root);
  for (int level = 4;; level--) {
    uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(e & P)) return ~0ull;
    if (level == 1) return (e & ADDR_MASK) | (va & 0xfff);
    if (level <= 3 && (e & PS)) {
      uint64_t size = 1ull << (12 + 9 * (level - 1));
      return (e & ADDR_MASK & ~(size - 1)) | (va & (size - 1));
    }
    t = table(e & ADDR_MASK);
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *name, double *runs, int reps, const char *extra) {
  double first = runs[0];
  qsort(runs, reps, sizeof *runs, cmp);
  double median = reps % 2 ? runs[reps / 2] : (runs[reps / 2 - 1] + runs[reps / 2]) / 2;
  printf("{\"name\":\"%s\",\"ms\":%.3f,\"medianMs\":%.3f,\"firstMs\":%.3f%s}\n", name, runs[0],
         median, first, extra);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s BYTES WALKS INSTALL_REPS WALK_REPS\n", argv[0]);
    return 2;
  }
  uint64_t bytes = strtoull(argv[1], 0, 0);
  long walks = strtol(argv[2], 0, 0);
  int install_reps = atoi(argv[3]), walk_reps = atoi(argv[4]);
  if (install_reps < 1 || install_reps > 400 || walk_reps < 1 || walk_reps > 400) return 2;
  if (bytes < 4096 || (bytes & (bytes - 1))) return 2;
  /* 8,210 frames for 16 GiB; room for any size up to 512 GiB. */
  pool_frames = (bytes >> 21) + (bytes >> 30) + 16;
  pool = aligned_alloc(4096, pool_frames * 4096);
  if (!pool) return 1;

  double runs[400];
  uint64_t root = 0;
  for (int r = 0; r < install_reps; r++) {
    double t0 = now_ms();
    root = install(bytes);
    runs[r] = now_ms() - t0;
  }
  char extra[128];
  snprintf(extra, sizeof extra, ",\"frames\":%llu", (unsigned long long)next_frame);
  report("install-4k", runs, install_reps, extra);

  uint64_t checksum = 0, faults = 0, mask = bytes - 1;
  for (int r = 0; r < walk_reps; r++) {
    uint64_t x = 0x9E3779B97F4A7C15ull, sum = 0;
    faults = 0;
    double t0 = now_ms();
    for (long i = 0; i < walks; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      uint64_t pa = walk(root, VA_BASE + (x & mask));
      if (pa == ~0ull) faults++;
      sum ^= pa;
    }
    runs[r] = now_ms() - t0;
    checksum = sum;
  }
  snprintf(extra, sizeof extra, ",\"checksum\":\"0x%016llx\",\"faults\":%llu",
           (unsigned long long)checksum, (unsigned long long)faults);
  report("walk-4k", runs, walk_reps, extra);
  free(pool);
  return 0;
}
