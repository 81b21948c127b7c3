/* HiLink's parameters: the presets, links per plane, validation's messages, serialisation's rounding, and what
 * hilink_create and hilink_attach refuse. */
#include "../../src/hilink/hilink.h"
#include "../../src/scheduler/entity_ids.h"
#include "../../src/scheduler/sim.h"
#include "check_hilink.h"

#define PAYLOAD 256

static bool never_sends(void *ctx, vdc_time now, struct hilink_packet *out, vdc_time *wake)
{
    (void)ctx, (void)now, (void)out, (void)wake;
    return false;
}

static void ignores(void *ctx, const struct hilink_packet *p, vdc_time arrive)
{
    (void)ctx, (void)p, (void)arrive;
}

static void expect_same_params(const struct hilink_params *a, const struct hilink_params *b)
{
    ck_assert_uint_eq(a->gpus, b->gpus);
    ck_assert_uint_eq(a->links_per_gpu, b->links_per_gpu);
    ck_assert_uint_eq(a->planes, b->planes);
    ck_assert_uint_eq(a->link_bytes_per_second, b->link_bytes_per_second);
    ck_assert_uint_eq(a->link_latency, b->link_latency);
    ck_assert_uint_eq(a->switch_latency, b->switch_latency);
    ck_assert_uint_eq(a->header_bytes, b->header_bytes);
    ck_assert_uint_eq(a->credits, b->credits);
}

static void expect_refused(const struct hilink_params *p, const char *message)
{
    struct vdc_error err;
    ck_assert(!hilink_params_validate(p, &err));
    ck_assert_str_eq(err.text, message);
}

START_TEST(presets_and_plane_links)
{
    struct hilink_params p, q;
    struct vdc_error err;
    ck_assert(hilink_params_preset("h100", &p, &err));
    ck_assert_uint_eq(p.gpus, 8);
    ck_assert_uint_eq(p.links_per_gpu, 18);
    ck_assert_uint_eq(p.planes, 1);
    ck_assert_uint_eq(p.link_bytes_per_second, 25000000000ULL);
    ck_assert_uint_eq(p.link_latency, 150 * VDC_NS);
    ck_assert_uint_eq(p.switch_latency, 200 * VDC_NS);
    ck_assert_uint_eq(p.header_bytes, 16);
    ck_assert_uint_eq(p.credits, 64);
    ck_assert(hilink_params_validate(&p, &err));
    ck_assert(hilink_params_preset("h200", &q, &err));
    expect_same_params(&p, &q);
    ck_assert(!hilink_params_preset("a100", &q, &err));
    ck_assert_str_eq(err.text, "hilink.preset 'a100': unknown; give h100 or h200");
    ck_assert_uint_eq(hilink_entity_count(&p), 25); /* 8 ports, 1 plane, 8 ports' poll sources, 8 groups' steps */

    ck_assert_uint_eq(hilink_plane_links(&p, 0), 18);
    p.planes = 4;
    const uint32_t hgx[] = {5, 4, 4, 5};
    for (uint32_t i = 0; i < 4; i++)
        ck_assert_uint_eq(hilink_plane_links(&p, i), hgx[i]);
    /* 7 over 3: 2 each, the one left over to the last plane. */
    p.links_per_gpu = 7;
    p.planes = 3;
    const uint32_t seven[] = {2, 2, 3};
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_uint_eq(hilink_plane_links(&p, i), seven[i]);
    /* 13 over 5: 2 each, then last, first, second to last. */
    p.links_per_gpu = 13;
    p.planes = 5;
    const uint32_t thirteen[] = {3, 2, 2, 3, 3};
    for (uint32_t i = 0; i < 5; i++)
        ck_assert_uint_eq(hilink_plane_links(&p, i), thirteen[i]);
}
END_TEST

START_TEST(validation_names_the_key)
{
    struct hilink_params base, p;
    struct vdc_error err;
    ck_assert(hilink_params_preset("h100", &base, &err));
    p = base, p.gpus = 1;
    expect_refused(&p, "hilink.gpus 1: give 2 to 64");
    p = base, p.gpus = 65;
    expect_refused(&p, "hilink.gpus 65: give 2 to 64");
    p = base, p.links_per_gpu = 0;
    expect_refused(&p, "hilink.links_per_gpu 0: give 1 to 64");
    p = base, p.links_per_gpu = 65;
    expect_refused(&p, "hilink.links_per_gpu 65: give 1 to 64");
    p = base, p.planes = 9;
    expect_refused(&p, "hilink.planes 9: give 1 to 8, at most hilink.links_per_gpu (18)");
    p = base, p.planes = 0;
    expect_refused(&p, "hilink.planes 0: give 1 to 8, at most hilink.links_per_gpu (18)");
    p = base, p.links_per_gpu = 3, p.planes = 4;
    expect_refused(&p, "hilink.planes 4: give 1 to 8, at most hilink.links_per_gpu (3)");
    p = base, p.link_bytes_per_second = 0;
    expect_refused(&p, "hilink.link_rate 0: give a rate above 0");
    p = base, p.credits = 0;
    expect_refused(&p, "hilink.credits 0: give at least 1");
    p = base, p.link_latency = 0;
    expect_refused(&p, "hilink.link_latency 0: give at least 1ns");
    p = base, p.header_bytes = 1025;
    expect_refused(&p, "hilink.header_bytes 1025: give 0 to 1024");
    p = base, p.links_per_gpu = 64, p.planes = 8, p.gpus = 64, p.header_bytes = 1024;
    ck_assert(hilink_params_validate(&p, &err));

    /* The fabric refuses what validation refuses, and a GPU out of range or attached twice. */
    struct vdc_sim sim;
    vdc_sim_init(&sim, 1);
    p = base, p.credits = 0;
    ck_assert_ptr_null(hilink_create(&sim, &p, VDC_IDS_HILINK_BASE, &err));
    ck_assert_str_eq(err.text, "hilink.credits 0: give at least 1");
    struct hilink *h = hilink_create(&sim, &base, VDC_IDS_HILINK_BASE, &err);
    ck_assert_ptr_nonnull(h);
    expect_same_params(hilink_get_params(h), &base);
    struct hilink_gpu_ops ops = {.next = never_sends, .deliver = ignores};
    ck_assert(!hilink_attach(h, 8, &ops, &err));
    ck_assert_str_eq(err.text, "hilink GPU 8: out of range; give 0 to 7 (hilink.gpus is 8)");
    ck_assert(hilink_attach(h, 7, &ops, &err));
    ck_assert(!hilink_attach(h, 7, &ops, &err));
    ck_assert_str_eq(err.text, "hilink GPU 7: already attached; detach it first or use another GPU");
    hilink_detach(h, 7);
    ck_assert(hilink_attach(h, 7, &ops, &err));
    hilink_free(h);
    vdc_sim_free(&sim);
}
END_TEST

START_TEST(serialisation_rounds_up)
{
    struct hilink_params p;
    struct vdc_error err;
    ck_assert(hilink_params_preset("h100", &p, &err));
    ck_assert_uint_eq(hilink_serialisation(&p, 0), 640);      /* 16 B at 25 GB/s */
    p.link_bytes_per_second = 3;                               /* 272 B at 3 B/s: 90.67 s, rounded up to a ps */
    ck_assert_uint_eq(hilink_serialisation(&p, PAYLOAD), 90666666666667ULL);
    p.link_bytes_per_second = UINT64_MAX;                      /* the rounding term must not wrap */
    ck_assert_uint_eq(hilink_serialisation(&p, PAYLOAD), 1);
}
END_TEST

TCase *hilink_params_tcase(void)
{
    TCase *t = tcase_create("params");
    tcase_add_test(t, presets_and_plane_links);
    tcase_add_test(t, validation_names_the_key);
    tcase_add_test(t, serialisation_rounds_up);
    return t;
}
