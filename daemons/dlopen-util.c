/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Libraries loaded on first use (see dlopen-util.h). */
#include "daemons/dlopen-util.h"

#include <dlfcn.h>
#include <gio/gio.h>

gboolean dl_open_symbols(void **handle, const char *soname, const DlSymbol *symbols, size_t n,
                         GError **error)
{
        g_autofree void **found = NULL;
        void *h;

        if (*handle)
                return TRUE;
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Cannot load %s: %s", soname,
                            dlerror());
                return FALSE;
        }
        found = g_new0(void *, n);
        for (size_t i = 0; i < n; i++) {
                found[i] = dlsym(h, symbols[i].name);
                if (!found[i]) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                    "%s has no %s (too old?)", soname, symbols[i].name);
                        dlclose(h);
                        return FALSE;
                }
        }
        for (size_t i = 0; i < n; i++)
                *symbols[i].fn = found[i];
        *handle = h;
        return TRUE;
}
