/* A program with no libc whose first act, before any other system call,
 * is to copy /proc/self/maps to stdout: the exec image exactly as the
 * kernel built it. x86-64 only. Build: gcc -static -nostdlib -O1. */
static char buf[1 << 16];

static long sys3(long n, long a, long b, long c) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

void _start(void) {
	long fd = sys3(2 /* open */, (long)"/proc/self/maps", 0, 0);
	long n = 0, r;
	while ((r = sys3(0 /* read */, fd, (long)(buf + n), sizeof buf - n)) > 0) n += r;
	for (long off = 0; off < n; off += r)
		if ((r = sys3(1 /* write */, 1, (long)(buf + off), n - off)) <= 0) break;
	sys3(231 /* exit_group */, 0, 0, 0);
	for (;;) {}
}
