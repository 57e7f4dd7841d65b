/* Test program for vmscope/tracer: one behaviour per first argument.
 * It prints what it observes (addresses returned by the kernel, thread and
 * process ids) with write(2), one line per write, so that the tests can
 * compare them with the trace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

extern char **environ;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (write(1, buf, n) != n) _exit(99);
}

static void *xmmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
	void *p = mmap(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED) { say("mmap failed: %d\n", errno); _exit(98); }
	return p;
}

/* dump_maps writes /proc/self/maps between MAPS and ENDMAPS lines using a
 * static buffer: no memory call happens while or after it runs. */
static char mapsbuf[1 << 20];
static void dump_maps(void) {
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, mapsbuf + n, sizeof mapsbuf - n)) > 0) n += r;
	close(fd);
	say("MAPS\n");
	for (size_t off = 0; off < n;) {
		ssize_t w = write(1, mapsbuf + off, n - off);
		if (w <= 0) _exit(97);
		off += w;
	}
	say("ENDMAPS\n");
}

static void *thread_mmap(void *arg) {
	void *p = xmmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("thread %ld %p\n", (long)syscall(SYS_gettid), p);
	return NULL;
}

/* basic: the memory calls of the tests, a thread, a fork; then the final
 * maps and exit_group. argv[2] is a file to create and map. */
static int basic(char *path) {
	char *p = xmmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("anon %p\n", p);
	say("mprotect %d\n", mprotect(p, 4096, PROT_READ));
	say("munmap %d\n", munmap(p + 4096, 4096));
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 8192) != 0) _exit(96);
	char *q = xmmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	say("file %p %d\n", q, fd);
	char *r = mremap(q, 8192, 16384, MREMAP_MAYMOVE);
	say("mremap %p\n", r);
	say("madvise %d\n", madvise(r, 4096, MADV_DONTNEED));
	say("prctl %d\n", prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p, 4096, "vmscope-test"));
	char *bad = mmap((void *)4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN | MAP_SHARED_VALIDATE, -1, 0);
	say("badmmap %d\n", bad == MAP_FAILED ? errno : 0);
	pthread_t t;
	pthread_create(&t, NULL, thread_mmap, NULL);
	pthread_join(t, NULL);
	pid_t c = fork();
	if (c == 0) {
		void *m = xmmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		say("child %d %p\n", getpid(), m);
		_exit(0);
	}
	say("forked %d\n", c);
	waitpid(c, NULL, 0);
	dump_maps();
	syscall(SYS_exit_group, 0);
	return 0;
}

/* seq: single-threaded and deterministic, for comparing tracing modes. */
static int seq(void) {
	for (int i = 1; i <= 20; i++) {
		char *p = xmmap(NULL, i * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mprotect(p, 4096, PROT_NONE);
		p = mremap(p, i * 4096, (i + 1) * 4096, MREMAP_MAYMOVE);
		munmap(p, (i + 1) * 4096);
	}
	void *big = malloc(1 << 20);
	free(big);
	munmap((void *)8, 4096); /* EINVAL */
	sbrk(65536);
	return 0;
}

static volatile sig_atomic_t stop;
static void on_term(int sig) {
	(void)sig;
	say("got SIGTERM\n");
	stop = 1;
}

/* loop: mmap/munmap every millisecond forever (or, with a handler for
 * SIGTERM, until it comes); says "ready" after the first pair. */
static int loop(int handle) {
	if (handle) signal(SIGTERM, on_term);
	for (int i = 0; !stop; i++) {
		void *p = xmmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
		if (i == 0) say("ready %d\n", getpid());
		usleep(1000);
	}
	return 0;
}

/* mmaploop N: N mmap/munmap pairs, as fast as possible. */
static int mmaploop(int n) {
	for (int i = 0; i < n; i++) {
		void *p = xmmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
	}
	return 0;
}

static void *worker(void *arg) {
	long k = (long)arg;
	for (int i = 0; i < 50; i++) {
		void *p = xmmap(NULL, (k + 1) * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, (k + 1) * 4096);
	}
	if (k == 1) { /* fork from a non-main thread: the child maps and exits */
		pid_t c = fork();
		if (c == 0) {
			xmmap(NULL, 7 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			_exit(0);
		}
		waitpid(c, NULL, 0);
	}
	if (k == 2) { /* fork + exec */
		pid_t c = fork();
		if (c == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(c, NULL, 0);
	}
	if (k == 3) { /* posix_spawn: clone(CLONE_VM|CLONE_VFORK) + exec */
		pid_t c;
		char *args[] = {"true", NULL};
		if (posix_spawn(&c, "/bin/true", NULL, NULL, args, environ) == 0) waitpid(c, NULL, 0);
	}
	if (k == 4) { /* vfork + exec */
		pid_t c = vfork();
		if (c == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(c, NULL, 0);
	}
	return NULL;
}

/* threads: 5 threads mapping concurrently; four of them also fork,
 * fork+exec, posix_spawn and vfork+exec. */
static int threads(void) {
	pthread_t t[5];
	for (long k = 0; k < 5; k++) pthread_create(&t[k], NULL, worker, (void *)k);
	for (int k = 0; k < 5; k++) pthread_join(t[k], NULL);
	return 0;
}

static void *exec_from_thread(void *arg) {
	(void)arg;
	execl("/bin/true", "true", (char *)NULL);
	return NULL;
}

/* threadexec: a non-leader thread calls execve. */
static int threadexec(void) {
	pthread_t t;
	pthread_create(&t, NULL, exec_from_thread, NULL);
	pthread_join(t, NULL);
	return 1;
}

static const char *stopfile;

static void *attachee_loop(void *arg) {
	long k = (long)arg;
	for (int i = 0;; i++) {
		size_t len = 4096 * (1 + k * 4 + i % 4);
		void *p = xmmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, len);
		if (access(stopfile, F_OK) == 0) break;
		usleep(2000);
	}
	return NULL;
}

/* attachee FILE: 3 threads (main included) mmap/munmap every 2 ms; says
 * its pid on stdout once the threads run, and ends (exit 0, "done" to
 * stdout) when FILE exists. */
static int attachee(const char *file) {
	stopfile = file;
	pthread_t t[2];
	for (long k = 0; k < 2; k++) pthread_create(&t[k], NULL, attachee_loop, (void *)(k + 1));
	say("pid %d\n", getpid());
	attachee_loop(0);
	for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
	say("done\n");
	return 0;
}

static void *spin_mmap(void *arg) {
	(void)arg;
	for (;;) {
		void *p = xmmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
	}
	return NULL;
}

static void *reuse_worker(void *arg) {
	(void)arg;
	for (int i = 0; i < 3000; i++) {
		void *p = xmmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
	}
	return NULL;
}

/* reuse: 4 threads mapping and unmapping one page 3000 times each, so that
 * one thread's mmap often returns the page another has just unmapped. */
static int reuse(void) {
	pthread_t t[4];
	for (int k = 0; k < 4; k++) pthread_create(&t[k], NULL, reuse_worker, NULL);
	for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
	return 0;
}

/* exitrace: exit_group while 4 threads keep mapping and unmapping. */
static int exitrace(void) {
	pthread_t t;
	for (int k = 0; k < 4; k++) pthread_create(&t, NULL, spin_mmap, NULL);
	usleep(20000);
	syscall(SYS_exit_group, 0);
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	const char *m = argv[1];
	if (!strcmp(m, "basic") && argc > 2) return basic(argv[2]);
	if (!strcmp(m, "seq")) return seq();
	if (!strcmp(m, "exit3")) exit(3);
	if (!strcmp(m, "segv")) { *(volatile int *)16 = 1; return 0; }
	if (!strcmp(m, "loop")) return loop(0);
	if (!strcmp(m, "sigterm")) return loop(1);
	if (!strcmp(m, "mmaploop") && argc > 2) return mmaploop(atoi(argv[2]));
	if (!strcmp(m, "threads")) return threads();
	if (!strcmp(m, "threadexec")) return threadexec();
	if (!strcmp(m, "exitrace")) return exitrace();
	if (!strcmp(m, "reuse")) return reuse();
	if (!strcmp(m, "attachee") && argc > 2) return attachee(argv[2]);
	return 2;
}
