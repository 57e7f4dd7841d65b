// A multi-threaded program that forks: threads map and unmap memory, wait
// at a barrier while the main thread forks a child that maps memory of its
// own, then carry on while the child exits. (Forking while other threads are
// inside memory calls makes the child's layout depend on timing.)
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_barrier_t before_fork, after_fork;

static void churn(int n) {
	for (int i = 0; i < n; i++) {
		size_t len = (size_t)(1 + (i % 7)) * 4096;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		m[0] = (char)i;
		mprotect(m, 4096, PROT_READ);
		munmap(m, len);
	}
}

static void *worker(void *arg) {
	churn(25);
	pthread_barrier_wait(&before_fork);
	pthread_barrier_wait(&after_fork);
	churn(25);
	return arg;
}

int main(void) {
	pthread_t t[3];
	pthread_barrier_init(&before_fork, NULL, 4);
	pthread_barrier_init(&after_fork, NULL, 4);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	pthread_barrier_wait(&before_fork);
	pid_t c = fork();
	if (c == 0) {
		char *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		m[0] = 1;
		munmap(m + 4096, 4096);
		_exit(0);
	}
	pthread_barrier_wait(&after_fork);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	int st;
	waitpid(c, &st, 0);
	return 0;
}
