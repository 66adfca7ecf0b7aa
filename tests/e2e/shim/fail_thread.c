/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An LD_PRELOAD shim for the tests: the Nth pthread_create of the process
 * (ST_FAIL_THREAD=N, counting from 1) fails with EAGAIN, as it does when the
 * process is out of memory or threads; every other call is the real one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	static atomic_int calls;
	const char *nth = getenv("ST_FAIL_THREAD");
	create_fn *real;

	if (nth && atoi(nth) == atomic_fetch_add(&calls, 1) + 1)
		return EAGAIN;
	*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real ? real(t, a, fn, arg) : ENOSYS;
}
