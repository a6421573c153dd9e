/*
 * Makes a componentizer's build-time pre-initialisation reproducible.
 *
 * componentize-qjs runs the policy's top level once at build time (Wizer) and
 * snapshots the engine's memory into the component. During that run the
 * engine asks WASI for the time and for random bytes (QuickJS seeds its
 * random state and takes a time origin), which the componentizer serves from
 * the machine's clocks and entropy: without this library, every build gives a
 * new digest.
 *
 * `recguard build` preloads this library (LD_PRELOAD) into the componentizer's
 * process with RECGUARD_DETERMINISTIC_IN naming the componentizer's native
 * library or program (e.g. `componentize-qjs`). Calls made from code in that library get:
 *   - getrandom / getentropy: the same bytes on every call (a fixed xorshift
 *     sequence from a fixed seed, restarted per call, so that the order in
 *     which threads call cannot matter);
 *   - clock_gettime: a fixed instant (CLOCK_REALTIME: SOURCE_DATE_EPOCH, or 0;
 *     every other clock: one second). Code that waits for time to pass would
 *     wait forever, so the library is for componentizers that do not
 *     (componentize-qjs does not; componentize-js's Wizer run does).
 * Calls from anything else in the process (node, V8, libuv) go to libc
 * unchanged. Only the build is affected: a policy never sees the build
 * machine's clock or entropy at run time (recguard gives it neither).
 *
 * Built by scripts/setup.sh into toolchains/lib/libdeterministic-build.so.
 * Linux with glibc only; elsewhere builds still work, without this guarantee.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h> /* program_invocation_name */
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

/* The address range of the componentizer's library, once it is known. Threads
 * may find it at the same time: `library_end` is published last (release) and
 * read first (acquire), so a thread that sees it also sees `library_start`. */
static uintptr_t library_start;
static uintptr_t library_end;

struct search {
    uintptr_t address;
    const char *name;
};

/* dl_iterate_phdr's callback: whether the loaded object that holds
 * `search->address` is the componentizer's library; if it is, its extent is
 * remembered. (dladdr would also find the object, but it scans the symbol
 * tables of node and of the library, each of many thousands of symbols.) */
static int check_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct search *search = data;
    uintptr_t start = UINTPTR_MAX;
    uintptr_t end = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD) continue;
        uintptr_t from = info->dlpi_addr + segment->p_vaddr;
        if (from < start) start = from;
        if (from + segment->p_memsz > end) end = from + segment->p_memsz;
    }
    if (search->address < start || search->address >= end) return 0;
    /* The main program's entry has an empty name. */
    const char *object = info->dlpi_name != NULL && info->dlpi_name[0] != '\0' ? info->dlpi_name : program_invocation_name;
    if (object == NULL || strstr(object, search->name) == NULL) return -1;
    __atomic_store_n(&library_start, start, __ATOMIC_RELAXED);
    __atomic_store_n(&library_end, end, __ATOMIC_RELEASE);
    return 1;
}

/* Whether the code at `caller` belongs to the componentizer's library. */
static int from_componentizer(const void *caller) {
    uintptr_t address = (uintptr_t)caller;
    uintptr_t end = __atomic_load_n(&library_end, __ATOMIC_ACQUIRE);
    if (end != 0) return address >= __atomic_load_n(&library_start, __ATOMIC_RELAXED) && address < end;
    const char *name = getenv("RECGUARD_DETERMINISTIC_IN");
    if (name == NULL || *name == '\0') return 0;
    struct search search = {address, name};
    return dl_iterate_phdr(check_object, &search) == 1;
}

static void fixed_bytes(void *buffer, size_t length) {
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    unsigned char *bytes = buffer;
    for (size_t i = 0; i < length; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (unsigned char)(state >> 24);
    }
}

ssize_t getrandom(void *buffer, size_t length, unsigned int flags) {
    if (from_componentizer(__builtin_return_address(0))) {
        fixed_bytes(buffer, length);
        return (ssize_t)length;
    }
    static ssize_t (*real)(void *, size_t, unsigned int);
    if (real == NULL) real = (ssize_t (*)(void *, size_t, unsigned int))dlsym(RTLD_NEXT, "getrandom");
    return real(buffer, length, flags);
}

int getentropy(void *buffer, size_t length) {
    if (from_componentizer(__builtin_return_address(0))) {
        fixed_bytes(buffer, length);
        return 0;
    }
    static int (*real)(void *, size_t);
    if (real == NULL) real = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "getentropy");
    return real(buffer, length);
}

int clock_gettime(clockid_t clock, struct timespec *time) {
    if (from_componentizer(__builtin_return_address(0))) {
        const char *epoch = getenv("SOURCE_DATE_EPOCH");
        /* A clock that stands still. (One that advanced per reading was
         * tried: how often a thread reads the clock while it waits for the
         * compiler's other threads depends on the machine's load, and so did
         * the snapshot.) */
        time->tv_sec = clock == CLOCK_REALTIME ? (epoch != NULL ? strtoll(epoch, NULL, 10) : 0) : 1;
        time->tv_nsec = 0;
        return 0;
    }
    static int (*real)(clockid_t, struct timespec *);
    if (real == NULL) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    return real(clock, time);
}
