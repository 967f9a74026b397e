// SPDX-License-Identifier: GPL-2.0
/*
 * floor OBJECT PROG...
 *
 * Loads the BPF object OBJECT (built from a bench/floor/NAME.bpf.c),
 * attaches only the programs named (the others are not even loaded), and
 * keeps them attached until SIGINT or SIGTERM. Prints "attached N" on stdout
 * once every program is attached. Exit status: 0 after a signal, 1 on a
 * load/attach error.
 */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[16] = {0};
	struct bpf_object *obj;
	struct bpf_program *prog;
	int n = 0, rc = 1;

	if (argc < 3 || argc - 2 > 16) {
		fprintf(stderr, "usage: floor OBJECT PROG...\n");
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "floor: cannot open %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		bool wanted = false;

		for (int i = 2; i < argc; i++)
			wanted |= !strcmp(bpf_program__name(prog), argv[i]);
		bpf_program__set_autoload(prog, wanted);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s\n", argv[1]);
		goto out;
	}
	for (int i = 2; i < argc; i++) {
		prog = bpf_object__find_program_by_name(obj, argv[i]);
		if (!prog) {
			fprintf(stderr, "floor: no program %s\n", argv[i]);
			goto out;
		}
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "floor: cannot attach %s\n", argv[i]);
			goto out;
		}
		n++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return rc;
}
