/* Writes SIZE bytes of 100-byte lines to stdout: in 65,500-byte blocks (default), or with one
 * write() per line (second argument "lines"). With $LINEWRITER_T0 set, first writes the time it
 * starts (ns, CLOCK_REALTIME) to that file: the throughput is timed from there, so that what
 * starts the reader (a PID namespace, a supervisor reading its configuration) is not counted.
 * With $LINEWRITER_CPU set, writes its own CPU time (ns, user + system) to that file at the end.
 * For bench/log_throughput.sh and bench/log_buffer.sh. */
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Writes `value` to the file named by the environment variable `name`, if set; 0 if it cannot. */
static int tell(const char* name, long long value) {
    const char* path = getenv(name);
    if (!path || !*path) return 1;
    FILE* f = fopen(path, "w");
    if (!f) return 0;
    fprintf(f, "%lld\n", value);
    return fclose(f) == 0;
}

int main(int argc, char** argv) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!tell("LINEWRITER_T0", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec)) return 2;
    long total = argc > 1 ? atol(argv[1]) : 200000000L;
    int per_line = argc > 2 && strcmp(argv[2], "lines") == 0;
    static char block[65500];
    for (int i = 0; i < 655; ++i) {
        memset(block + i * 100, 'x', 99);
        block[i * 100 + 99] = '\n';
    }
    for (long written = 0; written < total;) {
        size_t n = per_line ? 100 : sizeof block;
        ssize_t w = write(1, block, n);
        if (w <= 0) return 1;
        written += w;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    return tell("LINEWRITER_CPU", cpu) ? 0 : 2;
}
