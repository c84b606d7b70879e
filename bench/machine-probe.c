/*
 * What this machine charges for the two things every hop of the shop does: a system call, and a
 * small message over loopback TCP to another process and back. Every figure of the benches is
 * made of these (HTTP, NATS and MariaDB all talk over loopback TCP), so they say how this box
 * compares with another before any of our code runs. `npm run bench:machine` compiles and runs it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSCALLS 2000000
#define ROUND_TRIPS 50000
#define MESSAGE 64

static double seconds_now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(int who) {
	struct rusage u;
	getrusage(who, &u);
	return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void no_delay(int fd) {
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int read_fully(int fd, char *buffer, int length) {
	int got = 0;
	while (got < length) {
		ssize_t n = read(fd, buffer + got, length - got);
		if (n <= 0) return -1;
		got += n;
	}
	return 0;
}

int main(void) {
	double started = seconds_now();
	for (int i = 0; i < SYSCALLS; i++) syscall(SYS_getppid);
	printf("system call (getppid): %.0f ns\n", (seconds_now() - started) / SYSCALLS * 1e9);

	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof address;
	if (bind(listener, (struct sockaddr *)&address, length) || listen(listener, 1) ||
	    getsockname(listener, (struct sockaddr *)&address, &length)) {
		perror("listen");
		return 2;
	}
	pid_t echo = fork();
	if (echo == 0) {
		int peer = accept(listener, NULL, NULL);
		char message[MESSAGE];
		no_delay(peer);
		while (read_fully(peer, message, MESSAGE) == 0) write(peer, message, MESSAGE);
		_exit(0);
	}
	int client = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(client, (struct sockaddr *)&address, sizeof address)) {
		perror("connect");
		return 2;
	}
	no_delay(client);
	char message[MESSAGE] = {0};
	double cpu_before = cpu_seconds(RUSAGE_SELF);
	started = seconds_now();
	for (int i = 0; i < ROUND_TRIPS; i++) {
		write(client, message, MESSAGE);
		if (read_fully(client, message, MESSAGE)) return 2;
	}
	double elapsed = seconds_now() - started;
	double client_cpu = cpu_seconds(RUSAGE_SELF) - cpu_before;
	close(client);
	waitpid(echo, NULL, 0);
	/* The echo process did nothing else: all its CPU time belongs to the round trips. */
	double echo_cpu = cpu_seconds(RUSAGE_CHILDREN);
	printf("loopback TCP round trip, %d bytes each way, between two processes: %.1f µs wall, %.1f µs of CPU "
	       "(%.1f sender, %.1f echo)\n",
	       MESSAGE, elapsed / ROUND_TRIPS * 1e6, (client_cpu + echo_cpu) / ROUND_TRIPS * 1e6,
	       client_cpu / ROUND_TRIPS * 1e6, echo_cpu / ROUND_TRIPS * 1e6);
	return 0;
}
