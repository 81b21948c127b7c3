// A struct passed by value, 16-bit and 8-bit data, bit tricks, double bit access (mov.b64 pack and unpack).
struct Params { double scale; int n; short s; char c; float bias[3]; };
__global__ void struct_param(Params p, const unsigned short *h, const signed char *b, unsigned *o, double *d)
{
    int i = threadIdx.x;
    if (i >= p.n) return;
    unsigned a = h[i], c = (unsigned)b[i];
    o[i] = ((a & c) | (~a & 0x5a5au)) ^ (c | p.s) ^ p.c;
    double x = d[i] * p.scale + p.bias[i % 3];
    int hi = __double2hiint(x), lo = __double2loint(x);
    d[i] = __hiloint2double(lo, hi) + ldexp(x, 3) + floor(x) + trunc(x) + round(x);
}
