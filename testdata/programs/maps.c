// A dynamically linked C program that exercises the memory calls vmscope
// replays: anonymous and file mappings, protection changes, holes, mremap,
// madvise, mlock. It writes no private anonymous memory: page faults are
// not in a trace, and on Linux whether a VMA was written (has an anon_vma)
// decides some merges, so a replay could not know the result.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
	long p = sysconf(_SC_PAGESIZE);
	char *a = mmap(NULL, 8 * p, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(a + 2 * p, 2 * p, PROT_READ);
	munmap(a + 5 * p, p);
	madvise(a, p, MADV_DONTNEED);
	char *b = mremap(a, 2 * p, 16 * p, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x200000000000);
	mlock(a + 2 * p, p);
	int fd = open("/proc/self/exe", O_RDONLY);
	char *f = mmap(NULL, 3 * p, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	munmap(f + p, p);
	char *s = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 1;
	void *m = malloc(1 << 20);
	free(m);
	return 0;
}
