// Hold-model benchmark of ns-3's event list, the same model as `vdc bench sched`, for side-by-side figures.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ns3/core-module.h"

using namespace ns3;

namespace
{
uint64_t g_remaining;
uint64_t g_max_gap;
uint64_t g_state = 0x9e3779b97f4a7c15ULL;

// The same cheap generator for both simulators, so the comparison measures the event list.
uint64_t NextRandom()
{
    uint64_t z = (g_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void OnEvent()
{
    Simulator::Schedule(NanoSeconds(NextRandom() % (g_max_gap + 1)), &OnEvent);
    if (--g_remaining == 0)
    {
        Simulator::Stop();
    }
}
} // namespace

int main(int argc, char** argv)
{
    uint64_t pending = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
    uint64_t events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000;
    std::string scheduler = argc > 3 ? argv[3] : "ns3::HeapScheduler";
    ObjectFactory factory;
    factory.SetTypeId(scheduler);
    Simulator::SetScheduler(factory);
    g_max_gap = 2 * pending;
    for (uint64_t i = 0; i < pending; i++)
    {
        Simulator::Schedule(NanoSeconds(NextRandom() % (g_max_gap + 1)), &OnEvent);
    }
    // Warm-up as in vdc's hold model: one untimed event per pending event.
    g_remaining = pending;
    Simulator::Run();
    g_remaining = events;
    auto start = std::chrono::steady_clock::now();
    Simulator::Run();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("ns-3 %s hold: pending %llu, events %llu: %.2f M events/s (wall %.3f s)\n", scheduler.c_str(),
                (unsigned long long)pending, (unsigned long long)events, (double)events / wall / 1e6, wall);
    Simulator::Destroy();
    return 0;
}
