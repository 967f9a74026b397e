/* SPDX-License-Identifier: GPL-2.0 */
/* kscope hello: the one event shared by hello.bpf.c and hello.c */
#ifndef KSCOPE_HELLO_H
#define KSCOPE_HELLO_H

#include "../engine/events.h"

enum hello_event_type {
	HELLO_EV_EXEC = 1,
};

/* The filename as the kernel has it (bprm->filename), cut to this many bytes */
#define HELLO_FILENAME_MAX 256

/* The header is the task that exec'd, after the exec (its new comm) */
struct hello_event {
	struct ks_hdr hdr;
	__u32 filename_len;          /* bytes in filename, without the NUL */
	__u32 truncated;             /* the kernel's filename was longer */
	char filename[HELLO_FILENAME_MAX];
};
_Static_assert(sizeof(struct hello_event) == 56 + 8 + HELLO_FILENAME_MAX, "hello_event layout");

#endif /* KSCOPE_HELLO_H */
