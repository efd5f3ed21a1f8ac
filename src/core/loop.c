/* The one loop helper of every iterative phase: its stop request, deadline,
   iteration limit, clock and outcome. */
#include "internal.h"

void cr_loop_start(cr_loop *l, volatile sig_atomic_t *interrupt, double time_limit_s,
                   size_t max_iter)
{
    l->stop = cr_stop_after(interrupt, time_limit_s);
    l->t0 = cr_now();
    l->iter = 0;
    l->max_iter = max_iter;
    l->min_iter = 0;
    l->check_every = 1;
    l->ahead = 0;
    l->last = 0.0;
    l->why = 0;
    l->beat = NULL;
    l->beat_user = NULL;
    l->beat_next = 0.0;
    l->beat_every = 0.0;
}

void cr_loop_start_limits(cr_loop *l, const cvxrelu_limits *limits, size_t max_iter)
{
    cr_loop_start(l, limits ? limits->interrupt : NULL, limits ? limits->time_limit_s : 0.0,
                  max_iter);
}

void cr_loop_within(cr_loop *l, const cr_loop *outer, size_t max_iter)
{
    cr_loop_start(l, NULL, 0.0, max_iter);
    if (outer) l->stop = outer->stop;
}

int cr_loop_next(cr_loop *l)
{
    if (l->why) return l->why;
    if (l->iter >= l->max_iter) return l->why = CVXRELU_EXIT_MAX_ITER;
    if (l->iter >= l->min_iter && l->check_every && l->iter % l->check_every == 0 &&
        cr_loop_check(l))
        return l->why;
    if (l->ahead && l->stop.deadline > 0.0) {
        const double now = cr_now();
        if (l->last > 0.0 && now + (now - l->last) > l->stop.deadline)
            return l->why = CVXRELU_EXIT_TIME_LIMIT;
        l->last = now;
    }
    l->iter++;
    return 0;
}

int cr_loop_check(cr_loop *l)
{
    if (!l) return 0;
    int why = cr_loop_stopped(l);
    if (why) return why;
    if (l->beat) {
        const double now = cr_now();
        if (now >= l->beat_next) {
            l->beat_next = now + l->beat_every;
            l->beat(l->beat_user);
        }
    }
    why = cr_stop_check(&l->stop);
    if (why && !l->why) l->why = why; /* after the iteration limit, a late stop is not it */
    return why;
}

int cr_loop_stopped(const cr_loop *l)
{
    return l && (l->why == CVXRELU_EXIT_INTERRUPTED || l->why == CVXRELU_EXIT_TIME_LIMIT)
               ? l->why
               : 0;
}

void cr_loop_abandon(cr_loop *l, int why)
{
    if (l->iter > 0) l->iter--;
    if (!l->why) l->why = why;
}

double cr_loop_elapsed(const cr_loop *l)
{
    return cr_now() - l->t0;
}
