// SPDX-License-Identifier: GPL-2.0
/*
 * startup: how long a tracer takes from exec to attached, and its memory.
 *
 *   startup [-c TRACER_CPU] [-C POLL_CPU] [-m MIN_ATTACH] [-s SETTLE_MS]
 *           [-S STEADY_MS] [-t TIMEOUT_MS] [-i POLL_US] [-o OUT] [-e ERR]
 *           -- PROGRAM [ARGS]
 *
 * Runs PROGRAM (the tracer) pinned to TRACER_CPU (default 0), its stdout to
 * OUT and stderr to ERR (default /dev/null), and watches it from POLL_CPU
 * (default 1, so the watching never takes the tracer's CPU): every POLL_US
 * (default 250) microseconds it counts the tracer's BPF attachments, the
 * file descriptors in /proc/PID/fd that are BPF links (anon_inode:bpf_link)
 * or perf events (anon_inode:[perf_event]: a plain tracepoint, a kprobe, or
 * bpftrace's per-CPU output buffers). Every tool attaches through one of
 * those, and the kernel makes the descriptor only once the attachment is
 * in place, so this is the same observation for every tool, from outside,
 * without any help from it.
 *
 * The tracer is settled once it has MIN_ATTACH (default 1) or more
 * attachments and the count has not changed for SETTLE_MS (default 1000)
 * milliseconds. "Attached" is the start of the final stretch: the last
 * time the count rose to its settled value from below and stayed there
 * (a tool that tries hooks first, with attachments it closes again, is
 * attached only once its real ones are all there). The clock starts just
 * before execve() in the child, so fork is not counted, and the dynamic
 * loader, libraries, BTF parsing, compiling (bpftrace), loading,
 * verification and attaching all are.
 *
 * STEADY_MS (default 1000) milliseconds after settling, the tracer's
 * memory is read from /proc/PID/status: VmHWM (peak RSS so far: start-up
 * is usually the peak of a tool that streams nothing) and VmRSS (steady);
 * then it gets SIGINT (SIGKILL after 10 s) and is reaped.
 *
 * Prints one JSON object on stdout:
 *   {"attached_ns":...,"settled_count":...,"cpu_ns_attached":...,
 *    "vm_hwm_kb":...,"vm_rss_kb":...,"cpu_ns_steady":...,"exit":...,
 *    "timeline":[[ns,count],...]}
 * cpu_ns_* are the tracer's CPU time (all threads, schedstat) when the
 * attached count was first seen and at the steady reading. Exit status: 0;
 * 1 if the tracer exited before it settled or never settled (JSON with
 * "error"); 2 on a setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_CHANGES 4096

static void usage(void)
{
	fprintf(stderr, "usage: startup [-c TRACER_CPU] [-C POLL_CPU] [-m MIN_ATTACH] "
		"[-s SETTLE_MS] [-S STEADY_MS] [-t TIMEOUT_MS] [-i POLL_US] [-o OUT] [-e ERR] "
		"-- PROGRAM [ARGS]\n");
	exit(2);
}

/* BPF links and perf events among pid's descriptors; -1 if it is gone */
static int attachments(pid_t pid)
{
	char dpath[64], fpath[320], target[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)pid);
	dir = opendir(dpath);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		ssize_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", dpath, d->d_name);
		len = readlink(fpath, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += !strcmp(target, "anon_inode:bpf_link") ||
		     !strcmp(target, "anon_inode:bpf-link") ||
		     !strcmp(target, "anon_inode:[perf_event]");
	}
	closedir(dir);
	return n;
}

/* CPU time of all of pid's threads (schedstat), or 0 */
static unsigned long long cpu_ns(pid_t pid)
{
	char dpath[64], fpath[400];
	unsigned long long sum = 0, v;
	struct dirent *d;
	DIR *dir;

	snprintf(dpath, sizeof(dpath), "/proc/%d/task", (int)pid);
	dir = opendir(dpath);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s/schedstat", dpath, d->d_name);
		f = fopen(fpath, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &v) == 1)
			sum += v;
		fclose(f);
	}
	closedir(dir);
	return sum;
}

static long status_kb(pid_t pid, const char *key)
{
	char p[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	int tracer_cpu = 0, poll_cpu = 1, min_attach = 1, opt, status = 0, exit_code;
	long settle_ms = 1000, steady_ms = 1000, timeout_ms = 30000, poll_us = 250;
	const char *out = "/dev/null", *err = "/dev/null", *error = NULL;
	static unsigned long long ch_t[MAX_CHANGES], ch_cpu[MAX_CHANGES];
	static int ch_n[MAX_CHANGES];
	unsigned long long t_exec, t_last, attached = 0, cpu_attached = 0, cpu_steady;
	volatile unsigned long long *shared;
	int nch = 0, count = -1, final, reaped = 0;
	long hwm, rss;
	pid_t pid;

	bench_name = "startup";
	while ((opt = getopt(argc, argv, "+c:C:m:s:S:t:i:o:e:h")) != -1) {
		switch (opt) {
		case 'c': tracer_cpu = atoi(optarg); break;
		case 'C': poll_cpu = atoi(optarg); break;
		case 'm': min_attach = atoi(optarg); break;
		case 's': settle_ms = atol(optarg); break;
		case 'S': steady_ms = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 'i': poll_us = atol(optarg); break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || min_attach < 1 || poll_us < 1)
		usage();

	pin_cpu(poll_cpu);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap");
	*shared = 0;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY), o, e;

		pin_cpu(tracer_cpu);
		o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0)
			_exit(126);
		*shared = now_ns();
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	while (!*shared) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			reaped = 1;
			break;
		}
		sleep_us(50);
	}
	t_exec = *shared;
	t_last = now_ns();
	while (!reaped) {
		int n = attachments(pid);
		unsigned long long t = now_ns();

		if (waitpid(pid, &status, WNOHANG) == pid) {
			reaped = 1;
			break;
		}
		if (n != count && n >= 0) {
			count = n;
			t_last = t;
			if (nch < MAX_CHANGES) {
				ch_t[nch] = t - t_exec;
				ch_n[nch] = n;
				ch_cpu[nch] = cpu_ns(pid);
				nch++;
			}
		} else if (count >= min_attach && t - t_last >= settle_ms * 1000000ull) {
			break;
		}
		if (t - t_exec >= timeout_ms * 1000000ull) {
			error = "not settled before the timeout";
			break;
		}
		sleep_us(poll_us);
	}
	if (reaped && !error)
		error = "the tracer exited before it settled";
	final = count;
	for (int i = 0; i < nch; i++) {
		if (ch_n[i] >= final && (i == 0 || ch_n[i - 1] < final)) {
			attached = ch_t[i];
			cpu_attached = ch_cpu[i];
		}
	}
	hwm = rss = -1;
	cpu_steady = 0;
	if (!reaped) {
		sleep_us(steady_ms * 1000);
		hwm = status_kb(pid, "VmHWM");
		rss = status_kb(pid, "VmRSS");
		cpu_steady = cpu_ns(pid);
		kill(pid, SIGINT);
		for (int i = 0; i < 10000 && !reaped; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				reaped = 1;
			else
				sleep_us(1000);
		}
		if (!reaped) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	exit_code = WIFEXITED(status) ? WEXITSTATUS(status) :
		    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;

	printf("{\"attached_ns\":%llu,\"settled_count\":%d,\"cpu_ns_attached\":%llu,"
	       "\"vm_hwm_kb\":%ld,\"vm_rss_kb\":%ld,\"cpu_ns_steady\":%llu,\"exit\":%d,",
	       attached, final, cpu_attached, hwm, rss, cpu_steady, exit_code);
	if (error)
		printf("\"error\":\"%s\",", error);
	printf("\"timeline\":[");
	for (int i = 0; i < nch; i++)
		printf("%s[%llu,%d]", i ? "," : "", ch_t[i], ch_n[i]);
	printf("]}\n");
	return error ? 1 : 0;
}
