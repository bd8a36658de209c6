/* Writes SIZE bytes of 100-byte lines to stdout: in 65,500-byte blocks (default), or with one
 * write() per line (second argument "lines"). With $LINEWRITER_T0 set, first writes the time it
 * starts (ns, CLOCK_REALTIME) to that file: the throughput is timed from there, so that what
 * starts the reader (a PID namespace, a supervisor reading its configuration) is not counted.
 * For bench/log_throughput.sh. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    const char* stamp = getenv("LINEWRITER_T0");
    if (stamp && *stamp) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        FILE* f = fopen(stamp, "w");
        if (!f) return 2;
        fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        fclose(f);
    }
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
    return 0;
}
