// 2D and 3D grids: a 2D transpose with a padded shared tile, and a 3D launch that writes each thread's coordinates.

#define TILE 32

// out (cols x rows) = transpose of in (rows x cols). Block (32, 8), grid (ceil(cols/32), ceil(rows/32)); each
// thread moves 4 elements. The +1 column pads the tile so that column reads hit distinct shared-memory banks.
extern "C" __global__ void transpose2d(const float *in, float *out, int rows, int cols)
{
    __shared__ float tile[TILE][TILE + 1];
    int x = blockIdx.x * TILE + threadIdx.x;
    int y = blockIdx.y * TILE + threadIdx.y;
    for (int j = 0; j < TILE; j += 8)
        if (x < cols && y + j < rows)
            tile[threadIdx.y + j][threadIdx.x] = in[(y + j) * cols + x];
    __syncthreads();
    x = blockIdx.y * TILE + threadIdx.x;
    y = blockIdx.x * TILE + threadIdx.y;
    for (int j = 0; j < TILE; j += 8)
        if (x < rows && y + j < cols)
            out[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
}

// Each thread writes two words at out[2 * id]: its block's coordinates (x | y << 10 | z << 20) and its own
// (the same packing). id orders blocks x fastest, then y, then z, and threads the same way within a block.
extern "C" __global__ void grid3d_ids(unsigned *out)
{
    unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned id = block * (blockDim.x * blockDim.y * blockDim.z) + thread;
    out[2 * id] = blockIdx.x | blockIdx.y << 10 | blockIdx.z << 20;
    out[2 * id + 1] = threadIdx.x | threadIdx.y << 10 | threadIdx.z << 20;
}
