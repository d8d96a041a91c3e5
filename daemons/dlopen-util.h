/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* A library that only some paths of a daemon need, loaded when the first of them runs (as
 * systemd's dlopen-*.c do): its pages, and those of the libraries it needs, stay out of the
 * daemon until then. The Debian package names such a library in Depends: itself, since
 * dpkg-shlibdeps cannot see it (docs/packaging.md). */

typedef struct DlSymbol {
        void **fn; /* where the address goes */
        const char *name;
} DlSymbol;

#define DL_SYMBOL(sym)                                                                             \
        {                                                                                          \
                (void **)&sym_##sym, #sym                                                          \
        }

/* Loads soname (once; *handle keeps it, it is never unloaded) and resolves the n symbols. FALSE
 * with the loader's reason when the library or a symbol is missing; then nothing is set and a
 * later call tries again. */
gboolean dl_open_symbols(void **handle, const char *soname, const DlSymbol *symbols, size_t n,
                         GError **error);
