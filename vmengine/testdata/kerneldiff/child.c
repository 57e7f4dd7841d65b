/*
 * child.c: the kernel side of TestKernelDiff (kernel_diff_linux_test.go).
 *
 * A freestanding static program (no libc: nothing of a C runtime allocates,
 * grows a stdio buffer or maps anything behind our back) that executes
 * memory-management system calls read from stdin, one per line:
 *
 *   mmap ADDR LEN PROT FLAGS FD OFF      munmap A L      mprotect A L P
 *   madvise A L ADV      mremap A OLD NEW FLAGS NEWADDR      mlock A L
 *   munlock A L      mlock2 A L F      brk A      maps
 *   touch A V      peek A
 *
 * (numbers in hex with 0x, or decimal, optionally negative), performs each
 * as the raw system call and answers "=RESULT" (the raw return value: a
 * value, or -errno) followed by its /proc/self/maps and a line "END".
 * touch stores the 8-byte value V at A, peek loads 8 bytes from A; they
 * answer 0 or the value, or -(signo * 1000 + si_code) when the access
 * raised SIGSEGV or SIGBUS (a handler resumes after the access).
 *
 * Started without arguments it sets a fixed layout up (personality
 * ADDR_NO_RANDOMIZE, RLIMIT_STACK 8 MiB, RLIMIT_MEMLOCK unlimited) and
 * re-executes itself with an empty environment; the second image answers
 * first with "=brk(0)" and its maps, then serves requests until EOF.
 */

typedef unsigned long u64;
typedef long i64;

#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_mmap 9
#define NR_mprotect 10
#define NR_munmap 11
#define NR_rt_sigaction 13
#define NR_brk 12
#define NR_mremap 25
#define NR_msync 26
#define NR_madvise 28
#define NR_execve 59
#define NR_exit 60
#define NR_personality 135
#define NR_mlock 149
#define NR_munlock 150
#define NR_setrlimit 160
#define NR_exit_group 231
#define NR_mlock2 325

static i64 sys6(i64 n, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f)
{
	register u64 r10 __asm__("r10") = d;
	register u64 r8 __asm__("r8") = e;
	register u64 r9 __asm__("r9") = f;
	i64 ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void die(int code) { sys6(NR_exit_group, code, 0, 0, 0, 0, 0); for (;;) ; }

/*
 * Faults of touch and peek: the handler records the signal and its si_code
 * and resumes at fault_resume, just after the access.
 */
static volatile u64 fault_resume;
static volatile i64 fault_info;

void restorer(void);
__asm__(".text\n"
	"restorer:\n"
	"	mov $15, %rax\n" /* rt_sigreturn */
	"	syscall\n");

static void on_fault(int sig, void *info, void *uc)
{
	fault_info = sig * 1000 + ((int *)info)[2];
	*(u64 *)((char *)uc + 168) = fault_resume; /* uc_mcontext.gregs[REG_RIP] */
}

static void catch_faults(void)
{
	u64 act[4] = {(u64)on_fault, 0x4 | 0x04000000 | 0x40000000 /* SA_SIGINFO|SA_RESTORER|SA_NODEFER */,
		      (u64)restorer, 0};
	if (sys6(NR_rt_sigaction, 11 /* SIGSEGV */, (u64)act, 0, 8, 0, 0) < 0 ||
	    sys6(NR_rt_sigaction, 7 /* SIGBUS */, (u64)act, 0, 8, 0, 0) < 0)
		die(12);
}

/* access stores v at a (write) or loads from a, as touch and peek answer. */
static i64 access(u64 a, u64 v, int write)
{
	u64 out = 0;
	fault_info = 0;
	if (write)
		__asm__ volatile("lea 1f(%%rip), %%rax\n"
				 "	mov %%rax, %0\n"
				 "	movq %2, (%1)\n"
				 "1:\n"
				 : "=m"(fault_resume)
				 : "r"(a), "r"(v)
				 : "rax", "memory");
	else
		__asm__ volatile("lea 1f(%%rip), %%rax\n"
				 "	mov %%rax, %1\n"
				 "	movq (%2), %0\n"
				 "1:\n"
				 : "+r"(out), "=m"(fault_resume)
				 : "r"(a)
				 : "rax", "memory");
	if (fault_info)
		return -fault_info;
	return write ? 0 : (i64)out;
}

/* All buffers are static: they live in the image's .bss, mapped at exec. */
static char inbuf[1 << 16];
static u64 inlen, inpos;
static char mapsbuf[1 << 20];
static char outbuf[64];

static void writeall(const char *p, u64 n)
{
	while (n > 0) {
		i64 w = sys6(NR_write, 1, (u64)p, n, 0, 0, 0);
		if (w <= 0)
			die(3);
		p += w;
		n -= w;
	}
}

/* readline returns the next line (without '\n', NUL-terminated) or 0 at EOF. */
static char *readline(void)
{
	for (;;) {
		for (u64 i = inpos; i < inlen; i++) {
			if (inbuf[i] == '\n') {
				char *l = inbuf + inpos;
				inbuf[i] = 0;
				inpos = i + 1;
				return l;
			}
		}
		if (inpos > 0) {
			u64 n = inlen - inpos;
			for (u64 i = 0; i < n; i++)
				inbuf[i] = inbuf[inpos + i];
			inlen = n;
			inpos = 0;
		}
		if (inlen == sizeof inbuf)
			die(4);
		i64 r = sys6(NR_read, 0, (u64)(inbuf + inlen), sizeof inbuf - inlen, 0, 0, 0);
		if (r <= 0)
			return 0;
		inlen += r;
	}
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* word splits off the next space-separated word of *s. */
static char *word(char **s)
{
	char *p = *s;
	while (*p == ' ')
		p++;
	char *w = p;
	while (*p && *p != ' ')
		p++;
	if (*p)
		*p++ = 0;
	*s = p;
	return w;
}

static u64 num(char **s)
{
	char *w = word(s);
	int neg = 0;
	u64 v = 0;
	if (*w == '-')
		neg = 1, w++;
	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		for (w += 2; *w; w++) {
			int d = *w >= '0' && *w <= '9' ? *w - '0' : *w >= 'a' && *w <= 'f' ? *w - 'a' + 10 : *w >= 'A' && *w <= 'F' ? *w - 'A' + 10 : -1;
			if (d < 0)
				die(5);
			v = v * 16 + d;
		}
	} else {
		for (; *w; w++) {
			if (*w < '0' || *w > '9')
				die(5);
			v = v * 10 + (*w - '0');
		}
	}
	return neg ? -v : v;
}

/* answer writes "=RESULT\n", the maps and "END\n". */
static void answer(i64 res)
{
	char *p = outbuf + sizeof outbuf;
	u64 v = res < 0 ? -(u64)res : (u64)res;
	*--p = '\n';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (res < 0)
		*--p = '-';
	*--p = '=';
	writeall(p, outbuf + sizeof outbuf - p);

	i64 fd = sys6(NR_open, (u64) "/proc/self/maps", 0, 0, 0, 0, 0);
	if (fd < 0)
		die(6);
	u64 n = 0;
	for (;;) {
		if (n == sizeof mapsbuf)
			die(7);
		i64 r = sys6(NR_read, fd, (u64)(mapsbuf + n), sizeof mapsbuf - n, 0, 0, 0);
		if (r < 0)
			die(8);
		if (r == 0)
			break;
		n += r;
	}
	sys6(NR_close, fd, 0, 0, 0, 0, 0);
	writeall(mapsbuf, n);
	writeall("END\n", 4);
}

struct call {
	const char *name;
	long nr;
	int nargs;
};

static const struct call calls[] = {
	{"mmap", NR_mmap, 6},	  {"munmap", NR_munmap, 2}, {"mprotect", NR_mprotect, 3},
	{"madvise", NR_madvise, 3}, {"mremap", NR_mremap, 5}, {"mlock", NR_mlock, 2},
	{"munlock", NR_munlock, 2}, {"mlock2", NR_mlock2, 3}, {"brk", NR_brk, 1},
	{"msync", NR_msync, 3},	  {0, 0, 0},
};

__attribute__((used)) void cmain(u64 *sp)
{
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1);
	if (argc < 2) {
		u64 stack[2] = {8 << 20, 8 << 20};
		u64 memlock[2] = {~0UL, ~0UL};
		sys6(NR_setrlimit, 3 /* RLIMIT_STACK */, (u64)stack, 0, 0, 0, 0);
		sys6(NR_setrlimit, 8 /* RLIMIT_MEMLOCK */, (u64)memlock, 0, 0, 0, 0);
		if (sys6(NR_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0, 0, 0, 0, 0) < 0)
			die(9);
		char *nargv[] = {argv[0], "serve", 0};
		char *nenvp[] = {0};
		sys6(NR_execve, (u64) "/proc/self/exe", (u64)nargv, (u64)nenvp, 0, 0, 0);
		die(10);
	}
	catch_faults();
	answer(sys6(NR_brk, 0, 0, 0, 0, 0, 0));
	char *l;
	while ((l = readline()) != 0) {
		char *name = word(&l);
		if (streq(name, "maps")) {
			answer(0);
			continue;
		}
		if (streq(name, "touch") || streq(name, "peek")) {
			int write = name[0] == 't';
			u64 a = num(&l);
			answer(access(a, write ? num(&l) : 0, write));
			continue;
		}
		const struct call *c = calls;
		while (c->name && !streq(c->name, name))
			c++;
		if (!c->name)
			die(11);
		u64 a[6] = {0, 0, 0, 0, 0, 0};
		for (int i = 0; i < c->nargs; i++)
			a[i] = num(&l);
		answer(sys6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]));
	}
	die(0);
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call cmain\n"
	"	hlt\n");
