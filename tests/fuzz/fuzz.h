/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a fuzz target provides: libFuzzer's entry point, and seeds for the standalone runner
 * (fuzz-runner.c), which also writes them out as libFuzzer's starting corpus. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write the i-th seed (a valid input) to buf; -ENOENT past the last one. */
int fuzz_seed(size_t i, uint8_t *buf, size_t size, size_t *ret_len);
