/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Being written (issue 12). */
#include "ctl/verbs.h"

int verb_log(Ctl *ctl, int argc, char *argv[])
{
        return ctl_fail("%s is not built yet.", argv[0]);
}
