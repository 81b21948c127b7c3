// Tiled single-precision GEMM: C (M x N) = A (M x K) * B (K x N), row-major, 16x16 shared-memory tiles.
//
// Block (16, 16), grid (ceil(N/16), ceil(M/16)). Thread (tx, ty) computes C[row][col] with row = by*16 + ty,
// col = bx*16 + tx. Its accumulator starts at 0 and takes, tile after tile (t ascending) and k = 0..15 within a
// tile, acc = fma(As[ty][k], Bs[k][tx], acc): nvcc contracts the multiply-add into fma.rn.f32. Elements past
// the edges of A and B are loaded as 0, so the padded steps are fma(0, x, acc) or fma(x, 0, acc).

#define TILE 16

extern "C" __global__ void gemm_tiled(const float *A, const float *B, float *C, int M, int N, int K)
{
    __shared__ float As[TILE][TILE];
    __shared__ float Bs[TILE][TILE];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * TILE + ty;
    int col = blockIdx.x * TILE + tx;
    float acc = 0.0f;
    for (int t = 0; t < K; t += TILE) {
        As[ty][tx] = (row < M && t + tx < K) ? A[row * K + t + tx] : 0.0f;
        Bs[ty][tx] = (t + ty < K && col < N) ? B[(t + ty) * N + col] : 0.0f;
        __syncthreads();
        for (int k = 0; k < TILE; k++)
            acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N)
        C[row * N + col] = acc;
}
