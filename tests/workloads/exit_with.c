// SPDX-License-Identifier: GPL-2.0
/*
 * exit_with CODE [ARGS...]: exit with status CODE (0..255). ARGS are
 * ignored: they are there to be seen in the exec event's argv.
 * A CODE that is not a number in 0..255 exits with 100.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
	char *end;
	long code;

	if (argc < 2)
		return 100;
	code = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || code < 0 || code > 255)
		return 100;
	return (int)code;
}
