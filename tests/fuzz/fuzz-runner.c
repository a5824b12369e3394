/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for libFuzzer's main(), so that a fuzz target also runs as an ordinary test
 * in every build, with gcc and under the sanitizers, without -Dfuzz:
 *
 *   fuzz-X-runner                    the target's seeds, then a fixed, bounded number of
 *                                    pseudo-random mutations of them (same every run)
 *   fuzz-X-runner FILE|DIR…          those inputs only (reproduce a libFuzzer crash file)
 *   fuzz-X-runner --write-seeds DIR  write the seeds as a starting corpus for libFuzzer
 *
 * FUZZ_RUNNER_MUTATIONS and FUZZ_RUNNER_SEED override the count and the PRNG seed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "util.h"

#define INPUT_MAX (128 * 1024)
#define SEEDS_MAX 64
#define MUTATIONS_DEFAULT 500
#define PRNG_SEED_DEFAULT UINT64_C(0x636c6561726e6574)  /* "clearnet" */

struct input {
        uint8_t *data;
        size_t len;
};

static uint64_t prng_state;

/* xorshift64*: tiny, deterministic, good enough to pick mutations. */
static uint64_t prng(void) {
        prng_state ^= prng_state >> 12;
        prng_state ^= prng_state << 25;
        prng_state ^= prng_state >> 27;
        return prng_state * UINT64_C(2685821657736338717);
}

static size_t prng_below(size_t n) {
        return n > 0 ? (size_t) (prng() % n) : 0;
}

static void put_le32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* One edit, biased towards what breaks length-prefixed formats: counts and lengths. */
static void mutate_once(uint8_t *d, size_t *len) {
        static const uint32_t interesting[] = { 0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
                                                0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };
        size_t n = *len;

        switch (prng_below(7)) {
        case 0:  /* flip a bit */
                if (n > 0)
                        d[prng_below(n)] ^= (uint8_t) (1u << prng_below(8));
                break;
        case 1:  /* random byte */
                if (n > 0)
                        d[prng_below(n)] = (uint8_t) prng();
                break;
        case 2:  /* interesting u32, anywhere */
                if (n >= 4)
                        put_le32(d + prng_below(n - 3), interesting[prng_below(ELEMENTSOF(interesting))]);
                break;
        case 3: { /* nudge a u32 by ±1..4 (off-by-one lengths and counts) */
                if (n < 4)
                        break;
                uint8_t *p = d + prng_below(n - 3);
                uint32_t v = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
                int delta = (int) prng_below(9) - 4;
                put_le32(p, v + (uint32_t) delta);
                break;
        }
        case 4:  /* truncate */
                *len = prng_below(n + 1);
                break;
        case 5: { /* insert random bytes */
                size_t k = 1 + prng_below(8), at = prng_below(n + 1);
                if (n + k > INPUT_MAX)
                        break;
                memmove(d + at + k, d + at, n - at);
                for (size_t i = 0; i < k; i++)
                        d[at + i] = (uint8_t) prng();
                *len = n + k;
                break;
        }
        default: { /* delete a range */
                if (n == 0)
                        break;
                size_t at = prng_below(n), k = 1 + prng_below(n - at);
                memmove(d + at, d + at + k, n - at - k);
                *len = n - k;
                break;
        }
        }
}

static int load_seeds(struct input *seeds, size_t *ret_n) {
        size_t n = 0;
        for (; n < SEEDS_MAX; n++) {
                seeds[n].data = malloc(INPUT_MAX);
                if (!seeds[n].data)
                        return -ENOMEM;
                int r = fuzz_seed(n, seeds[n].data, INPUT_MAX, &seeds[n].len);
                if (r == -ENOENT) {
                        free(seeds[n].data);
                        break;
                }
                if (r < 0) {
                        fprintf(stderr, "seed %zu: %s\n", n, strerror(-r));
                        return r;
                }
        }
        *ret_n = n;
        return 0;
}

static unsigned long env_number(const char *name, unsigned long def) {
        const char *s = getenv(name);
        if (!s || !*s)
                return def;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 0);
        return errno == 0 && *end == 0 ? v : def;
}

static int run_builtin(void) {
        struct input seeds[SEEDS_MAX];
        size_t nseeds;
        int r = load_seeds(seeds, &nseeds);
        if (r < 0 || nseeds == 0) {
                fprintf(stderr, "no seeds\n");
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < nseeds; i++)
                LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);

        unsigned long mutations = env_number("FUZZ_RUNNER_MUTATIONS", MUTATIONS_DEFAULT);
        prng_state = env_number("FUZZ_RUNNER_SEED", 0) ?: PRNG_SEED_DEFAULT;
        _cleanup_free_ uint8_t *work = malloc(INPUT_MAX);
        if (!work)
                return EXIT_FAILURE;
        for (unsigned long m = 0; m < mutations; m++) {
                const struct input *s = &seeds[m % nseeds];
                size_t len = s->len;
                memcpy(work, s->data, len);
                for (size_t k = 1 + prng_below(4); k > 0; k--)
                        mutate_once(work, &len);
                /* A fresh heap copy of exactly len bytes, so ASan catches any over-read. */
                uint8_t *exact = malloc(len ?: 1);
                if (!exact)
                        return EXIT_FAILURE;
                memcpy(exact, work, len);
                LLVMFuzzerTestOneInput(exact, len);
                free(exact);
        }
        for (size_t i = 0; i < nseeds; i++)
                free(seeds[i].data);
        printf("fuzz runner: %zu seeds and %lu mutations, no failure\n", nseeds, mutations);
        return EXIT_SUCCESS;
}

static int run_file(const char *path) {
        _cleanup_free_ uint8_t *data = malloc(INPUT_MAX);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (!data || fd < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, data + len, INPUT_MAX - len);
                if (n < 0) {
                        fprintf(stderr, "%s: %m\n", path);
                        return -1;
                }
                if (n == 0 || (len += (size_t) n) == INPUT_MAX)
                        break;
        }
        LLVMFuzzerTestOneInput(data, len);
        return 0;
}

static int run_path(const char *path, unsigned *count) {
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return run_file(path);
        }
        DIR *d = opendir(path);
        if (!d) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                char sub[PATH_MAX];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                if (run_path(sub, count) < 0)
                        r = -1;
        }
        closedir(d);
        return r;
}

static int write_seeds(const char *dir) {
        _cleanup_free_ uint8_t *buf = malloc(INPUT_MAX);
        if (!buf || (mkdir(dir, 0755) < 0 && errno != EEXIST)) {
                fprintf(stderr, "%s: %m\n", dir);
                return EXIT_FAILURE;
        }
        for (size_t i = 0;; i++) {
                size_t len;
                int r = fuzz_seed(i, buf, INPUT_MAX, &len);
                if (r == -ENOENT)
                        break;
                if (r < 0) {
                        fprintf(stderr, "seed %zu: %s\n", i, strerror(-r));
                        return EXIT_FAILURE;
                }
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/seed-%02zu", dir, i);
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write_all(fd, buf, len) < 0) {
                        fprintf(stderr, "%s: %m\n", path);
                        return EXIT_FAILURE;
                }
        }
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        if (argc == 3 && STREQ(argv[1], "--write-seeds"))
                return write_seeds(argv[2]);
        if (argc == 1)
                return run_builtin();

        unsigned count = 0;
        int r = 0;
        for (int i = 1; i < argc; i++)
                if (run_path(argv[i], &count) < 0)
                        r = -1;
        printf("fuzz runner: %u inputs, no failure\n", count);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
