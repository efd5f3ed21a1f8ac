/* Shared by the fuzz harnesses: the library reads files, so each input is
   written to a per-process temporary file first. */
#ifndef CVXRELU_FUZZ_COMMON_H
#define CVXRELU_FUZZ_COMMON_H
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvxrelu.h"

/* Write data to a temporary file named with suffix (the extension matters
   for format detection); returns its path (static storage). */
static const char *fuzz_file(const char *suffix, const uint8_t *data, size_t size)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/cvxrelu_fuzz_%d%s", (int)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

/* Every failure must leave *out NULL and a message naming the file. */
static void fuzz_check_error(cvxrelu_status st, const void *out, const cvxrelu_error *err,
                             const char *path)
{
    if (st == CVXRELU_OK) return;
    if (out) abort();
    if (st != CVXRELU_ERR_NOMEM && !strstr(err->msg, strrchr(path, '/') + 1)) abort();
}
#endif
