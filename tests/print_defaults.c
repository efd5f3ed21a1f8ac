/*
 * Prints every field of every settings struct as its _default() function sets it,
 * one "struct field value" line each, for tests/defaults_doc_check.py to compare
 * with docs/api.md and the comments of include/cvxrelu.h.
 */
#include "cvxrelu.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PD(st, s, f) printf("%s %s %.17g\n", st, #f, (double)(s).f)
#define PZ(st, s, f) printf("%s %s %zu\n", st, #f, (size_t)(s).f)
#define PP(st, s, f) printf("%s %s %s\n", st, #f, (s).f ? "set" : "NULL")

int main(void)
{
    cvxrelu_read_opts r;
    cvxrelu_read_opts_default(&r);
    printf("cvxrelu_read_opts format %s\n",
           r.format == CVXRELU_FORMAT_AUTO ? "CVXRELU_FORMAT_AUTO" : "other");
    PD("cvxrelu_read_opts", r, label_col);
    PD("cvxrelu_read_opts", r, header);
    PD("cvxrelu_read_opts", r, has_labels);
    PZ("cvxrelu_read_opts", r, n_features);
    PP("cvxrelu_read_opts", r, idx_labels);
    PD("cvxrelu_read_opts", r, max_bytes);
    PZ("cvxrelu_read_opts", r, max_line_bytes);

    cvxrelu_settings s;
    cvxrelu_settings_default(&s);
    printf("cvxrelu_settings solver %s\n",
           s.solver == CVXRELU_SOLVER_RFISTA ? "CVXRELU_SOLVER_RFISTA" : "other");
    PD("cvxrelu_settings", s, lambda);
    PD("cvxrelu_settings", s, tol);
    PD("cvxrelu_settings", s, tol_feas);
    PZ("cvxrelu_settings", s, max_iter);
    PD("cvxrelu_settings", s, time_limit_s);
    PD("cvxrelu_settings", s, step_init);
    PD("cvxrelu_settings", s, warm_start);
    PP("cvxrelu_settings", s, callback);
    PP("cvxrelu_settings", s, callback_data);
    PP("cvxrelu_settings", s, interrupt);
    PD("cvxrelu_settings", s, step_growth);
    PD("cvxrelu_settings", s, single_precision);
    PD("cvxrelu_settings", s, screening);
    PD("cvxrelu_settings", s, working_set);
    PD("cvxrelu_settings", s, precondition);
    printf("cvxrelu_settings relu_method %s\n",
           s.relu_method == CVXRELU_RELU_AUTO ? "CVXRELU_RELU_AUTO" : "other");
    printf("cvxrelu_settings polish %d\n", s.polish);
    printf("cvxrelu_settings heartbeat_s %g\n", s.heartbeat_s);

    cvxrelu_sdp_settings p;
    cvxrelu_sdp_settings_default(&p);
    printf("cvxrelu_sdp_settings method %s\n",
           p.method == CVXRELU_SDP_ADMM ? "CVXRELU_SDP_ADMM" : "other");
    PD("cvxrelu_sdp_settings", p, tol);
    PZ("cvxrelu_sdp_settings", p, max_iter);
    PD("cvxrelu_sdp_settings", p, rho);
    PD("cvxrelu_sdp_settings", p, upper_bound);
    PZ("cvxrelu_sdp_settings", p, check_every);
    PD("cvxrelu_sdp_settings", p, verbose);
    PD("cvxrelu_sdp_settings", p, time_limit_s);
    PP("cvxrelu_sdp_settings", p, interrupt);
    PP("cvxrelu_sdp_settings", p, callback);
    PP("cvxrelu_sdp_settings", p, callback_data);

    cvxrelu_certify_settings c;
    cvxrelu_certify_settings_default(&c);
    printf("cvxrelu_certify_settings bounds %s\n",
           c.bounds == (1u << CVXRELU_SBOUND_COUNT) - 1u ? "all" : "other");
    PZ("cvxrelu_certify_settings", c, sdp_max_rows);
    PZ("cvxrelu_certify_settings", c, subsets_max_rows);
    PZ("cvxrelu_certify_settings", c, samples);
    printf("cvxrelu_certify_settings seed %" PRIu64 "\n", c.seed);
    PD("cvxrelu_certify_settings", c, tol);
    PD("cvxrelu_certify_settings", c, time_limit_s);
    PP("cvxrelu_certify_settings", c, interrupt);

    cvxrelu_local_settings l;
    cvxrelu_local_settings_default(&l);
    printf("cvxrelu_local_settings method %s\n",
           l.method == CVXRELU_OPT_GD ? "CVXRELU_OPT_GD" : "other");
    PZ("cvxrelu_local_settings", l, width);
    PD("cvxrelu_local_settings", l, lambda);
    PD("cvxrelu_local_settings", l, lr);
    PZ("cvxrelu_local_settings", l, steps);
    PZ("cvxrelu_local_settings", l, batch);
    PD("cvxrelu_local_settings", l, init_scale);
    printf("cvxrelu_local_settings seed %" PRIu64 "\n", l.seed);
    PZ("cvxrelu_local_settings", l, record_every);
    PD("cvxrelu_local_settings", l, beta1);
    PD("cvxrelu_local_settings", l, beta2);
    PD("cvxrelu_local_settings", l, adam_eps);
    PD("cvxrelu_local_settings", l, time_limit_s);
    PP("cvxrelu_local_settings", l, interrupt);
    PP("cvxrelu_local_settings", l, callback);
    PP("cvxrelu_local_settings", l, callback_data);

    cvxrelu_relu3_settings t;
    cvxrelu_relu3_settings_default(&t);
    PD("cvxrelu_relu3_settings", t, lambda);
    PD("cvxrelu_relu3_settings", t, tol);
    PZ("cvxrelu_relu3_settings", t, max_iter);
    PD("cvxrelu_relu3_settings", t, rho);
    PD("cvxrelu_relu3_settings", t, time_limit_s);
    PP("cvxrelu_relu3_settings", t, interrupt);
    PP("cvxrelu_relu3_settings", t, callback);
    PP("cvxrelu_relu3_settings", t, callback_data);
    PP("cvxrelu_relu3_settings", t, start);
    cvxrelu_train_settings g;
    cvxrelu_train_settings_default(&g);
    printf("cvxrelu_train_settings program %s\n",
           g.program == CVXRELU_TRAIN_GATED ? "CVXRELU_TRAIN_GATED" : "other");
    printf("cvxrelu_train_settings task %s\n",
           g.task == CVXRELU_TASK_AUTO ? "CVXRELU_TASK_AUTO" : "other");
    PD("cvxrelu_train_settings", g, standardize);
    PD("cvxrelu_train_settings", g, bias);
    PZ("cvxrelu_train_settings", g, patterns);
    PD("cvxrelu_train_settings", g, all_patterns);
    PD("cvxrelu_train_settings", g, linear_gate);
    PZ("cvxrelu_train_settings", g, width);
    PP("cvxrelu_train_settings", g, gates);
    PZ("cvxrelu_train_settings", g, n_gates);
    PP("cvxrelu_train_settings", g, warm);
    PD("cvxrelu_train_settings", g, lambda);
    PD("cvxrelu_train_settings", g, lambda_ratio);
    PD("cvxrelu_train_settings", g, beta);
    printf("cvxrelu_train_settings seed %" PRIu64 "\n", g.seed);
    PD("cvxrelu_train_settings", g, tol);
    PD("cvxrelu_train_settings", g, tol_feas);
    PZ("cvxrelu_train_settings", g, max_iter);
    PD("cvxrelu_train_settings", g, time_limit_s);
    PP("cvxrelu_train_settings", g, interrupt);
    PD("cvxrelu_train_settings", g, single_precision);
    PD("cvxrelu_train_settings", g, screening);
    PD("cvxrelu_train_settings", g, working_set);
    PD("cvxrelu_train_settings", g, precondition);
    printf("cvxrelu_train_settings relu_method %s\n",
           g.relu_method == CVXRELU_RELU_AUTO ? "CVXRELU_RELU_AUTO" : "other");
    printf("cvxrelu_train_settings polish %d\n", g.polish);
    printf("cvxrelu_train_settings decompose %s\n",
           g.decompose == CVXRELU_TRAIN_DECOMPOSE_NONE ? "CVXRELU_TRAIN_DECOMPOSE_NONE" : "other");
    PD("cvxrelu_train_settings", g, grow);
    PZ("cvxrelu_train_settings", g, grow_rounds);
    PZ("cvxrelu_train_settings", g, grow_batch);
    PZ("cvxrelu_train_settings", g, grow_max);
    PD("cvxrelu_train_settings", g, prune);
    PD("cvxrelu_train_settings", g, certify);
    printf("cvxrelu_train_settings bounds %s\n",
           g.bounds == (1u << CVXRELU_SBOUND_COUNT) - 1u ? "all" : "other");
    PD("cvxrelu_train_settings", g, max_memory_bytes);
    cvxrelu_sdp_settings gs;
    cvxrelu_sdp_settings_default(&gs);
    printf("cvxrelu_train_settings sdp %s\n",
           memcmp(&gs, &g.sdp, sizeof gs) == 0 ? "cvxrelu_sdp_settings_default" : "other");
    cvxrelu_local_settings gl;
    cvxrelu_local_settings_default(&gl);
    printf("cvxrelu_train_settings local %s\n",
           memcmp(&gl, &g.local, sizeof gl) == 0 ? "cvxrelu_local_settings_default" : "other");
    PD("cvxrelu_train_settings", g, stationarity);
    PZ("cvxrelu_train_settings", g, width1);
    PZ("cvxrelu_train_settings", g, subnets);
    PD("cvxrelu_train_settings", g, relu3_local);
    PP("cvxrelu_train_settings", g, configs_from);
    cvxrelu_relu3_settings gr;
    cvxrelu_relu3_settings_default(&gr);
    printf("cvxrelu_train_settings relu3 %s\n",
           memcmp(&gr, &g.relu3, sizeof gr) == 0 ? "cvxrelu_relu3_settings_default" : "other");
    PP("cvxrelu_train_settings", g, callback);
    PP("cvxrelu_train_settings", g, callback_data);
    PP("cvxrelu_train_settings", g, on_phase);
    PP("cvxrelu_train_settings", g, phase_data);
    PD("cvxrelu_train_settings", g, threads);
    PD("cvxrelu_train_settings", g, lambda_auto);
    PD("cvxrelu_train_settings", g, loss);
    PD("cvxrelu_train_settings", g, huber_delta);
    cvxrelu_path_settings gp;
    cvxrelu_path_settings_default(&gp);
    printf("cvxrelu_train_settings path %s\n",
           memcmp(&gp, &g.path, sizeof gp) == 0 ? "cvxrelu_path_settings_default" : "other");
    PZ("cvxrelu_path_settings", gp, lambdas);
    PD("cvxrelu_path_settings", gp, min_ratio);
    PZ("cvxrelu_path_settings", gp, folds);
    printf("cvxrelu_path_settings rule %s\n",
           gp.rule == CVXRELU_CV_MIN ? "CVXRELU_CV_MIN" : "other");
    PD("cvxrelu_path_settings", gp, cv_tol);
    PD("cvxrelu_path_settings", gp, early_stop);
    PP("cvxrelu_path_settings", gp, on_point);
    PP("cvxrelu_path_settings", gp, point_data);
    cvxrelu_certify_run_settings cr;
    cvxrelu_certify_run_settings_default(&cr);
    cvxrelu_certify_settings cb;
    cvxrelu_certify_settings_default(&cb);
    printf("cvxrelu_certify_run_settings bounds %s\n",
           memcmp(&cb, &cr.bounds, sizeof cb) == 0 ? "cvxrelu_certify_settings_default" : "other");
    PD("cvxrelu_certify_run_settings", cr, lambda);
    PD("cvxrelu_certify_run_settings", cr, relaxation);
    PD("cvxrelu_certify_run_settings", cr, relaxation_tol);
    PD("cvxrelu_certify_run_settings", cr, max_memory_bytes);
    PD("cvxrelu_certify_run_settings", cr, threads);
    return 0;
}
