// Launch bounds, __syncwarp, redux, lop3, tanh, testp, 16-bit data and a guarded early exit.
__global__ void __launch_bounds__(256, 2) misc(const unsigned *in, unsigned *out, float *f, unsigned short *h)
{
    unsigned t = threadIdx.x, v = in[t];
    __syncwarp();
    unsigned s = __reduce_add_sync(0xffffffffu, v);
    unsigned m = __reduce_max_sync(0xffffffffu, v);
    unsigned l;
    asm("lop3.b32 %0, %1, %2, %3, 0x96;" : "=r"(l) : "r"(v), "r"(s), "r"(m));
    float x = f[t], y;
    asm("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
    unsigned fin;
    asm("{ .reg .pred p; testp.finite.f32 p, %1; selp.u32 %0, 1, 0, p; }" : "=r"(fin) : "f"(x));
    if (t >= 200) return;
    f[t] = copysignf(y, -x);
    h[t] = (unsigned short)(h[t] * 3 + 1);
    out[t] = l + fin;
}
