/* fx: a tiny static helper so fixture images built FROM scratch can RUN without a distribution.
 *   fx write PATH TEXT   writes TEXT and a newline to PATH (created or truncated)
 *   fx rm PATH           deletes PATH (the layer gets a .wh. whiteout)
 * Built with: gcc -static -nostdlib -ffreestanding -Os -fno-stack-protector -o fx fx.c (x86-64 Linux) */
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static long len(const char *s) { long n = 0; while (s[n]) n++; return n; }
void start_c(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    long rc = 2;
    if (argc == 3 && argv[1][0] == 'r') {
        rc = sys3(87 /* unlink */, (long)argv[2], 0, 0) < 0;
    } else if (argc == 4 && argv[1][0] == 'w') {
        long fd = sys3(2 /* open */, (long)argv[2], 01 | 0100 | 01000 /* WRONLY|CREAT|TRUNC */, 0644);
        rc = fd < 0;
        if (fd >= 0) {
            sys3(1 /* write */, fd, (long)argv[3], len(argv[3]));
            sys3(1, fd, (long)"\n", 1);
            sys3(3 /* close */, fd, 0, 0);
        }
    }
    sys3(60 /* exit */, rc, 0, 0);
}
__asm__(".global _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start_c\n hlt\n");
