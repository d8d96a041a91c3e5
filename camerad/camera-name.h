/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A camera's names as camerad publishes them (Model, Nickname), from what the body sends. Pure. */

/* The product name without the brand the manufacturer already gives: real bodies send
 * "productname": "Canon EOS R50" beside "manufacturer": "Canon" (or "Canon Inc.", "Canon.Inc"),
 * and Model is then "EOS R50". The brand is the manufacturer's first word (letters and digits);
 * it is dropped from the front of the product name, in any case, only when a space follows
 * and something is left. Anything else is kept as it is ("EOS R50" stays "EOS R50"). Free it. */
char *camera_name_model(const char *manufacturer, const char *productname);

/* The nickname to publish: the UPnP description's X_deviceNickname (described) when there is
 * one, else deviceinformation's "nickname" (older bodies, the simulator before issue 13), else
 * "". Surrounding white space is dropped. Free it. */
char *camera_name_nickname(const char *described, const char *from_deviceinformation);
