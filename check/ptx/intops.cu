// Integer division, 64-bit math, conversions and bit operations.
__global__ void int_ops(const int *a, const long long *b, const float *f, const double *d, int *o, long long *lo)
{
    int i = threadIdx.x;
    int x = a[i];
    unsigned u = (unsigned)x;
    long long y = b[i];
    o[i * 8 + 0] = x / 7 + x % 5 + (int)(u / (u | 3u)) + (int)(u % 13u);
    lo[i * 4 + 0] = y / (long long)(x | 1) + y % 3 + (long long)((unsigned long long)y / 11ull) + y * y;
    o[i * 8 + 1] = __popc(u) + __clz(x) + (int)__brev(u) + (int)__byte_perm(u, 0x1234u, 0x5410) + __ffs(x);
    o[i * 8 + 2] = __float2int_rn(f[i]) + __float2int_rz(f[i]) + __float2int_rd(f[i]) + __float2int_ru(f[i]);
    o[i * 8 + 3] = (int)__float2uint_rn(f[i]) + __double2int_rz(d[i]) + (int)__double2ll_rd(d[i]);
    lo[i * 4 + 1] = __float2ll_ru(f[i]) + (long long)__double2ull_rn(d[i]);
    float g = __int2float_rn(x) + __int2float_rz(x) + __uint2float_rd(u) + __ll2float_ru(y);
    double h = __int2double_rn(x) + __ll2double_rz(y) + (double)g + (double)__double2float_rd(d[i]);
    lo[i * 4 + 2] = __double_as_longlong(h);
    unsigned bf, bi;
    asm("bfe.u32 %0, %1, 4, 8;" : "=r"(bf) : "r"(u));
    asm("bfi.b32 %0, %1, %2, 8, 4;" : "=r"(bi) : "r"(u), "r"(bf));
    o[i * 8 + 4] = (int)(bf + bi) + __funnelshift_l(u, bf, 5) + __funnelshift_rc(u, bi, 9);
    o[i * 8 + 5] = __mulhi(x, 77) + (int)__umulhi(u, 99u) + __mul24(x, 3) + __sad(x, 5, 1u);
    lo[i * 4 + 3] = __mul64hi(y, 12345ll) + (long long)__clzll(y) + __popcll(y) + (y >> 3) + (long long)((unsigned long long)y >> 5);
    o[i * 8 + 6] = min(x, 5) + max(x, -5) + abs(x) + (int)umin(u, 9u);
}
