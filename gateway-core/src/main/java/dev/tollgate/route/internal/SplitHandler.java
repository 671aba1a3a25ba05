package dev.tollgate.route.internal;

import dev.tollgate.route.ForceBy;
import dev.tollgate.route.Split;
import dev.tollgate.route.SplitDecision;
import dev.tollgate.upstream.HashKey;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The terminal handler of a route with a {@link Split}: chooses a side (forced, sticky, or by weight),
 * attaches the {@link SplitDecision} and hands the exchange to that side's handler. Runs on the IO
 * thread (or wherever route middleware left the exchange); takes no lock and allocates nothing.
 */
public final class SplitHandler implements HttpHandler {

    /** Cycles longer than this are not precomputed; the split then draws at random by weight. */
    static final int MAX_CYCLE = 1 << 16;


    private final String[] names;
    private final HttpHandler[] sides;
    /** Cumulative weights: side i owns [cumulative[i-1], cumulative[i]). */
    private final long[] cumulative;
    private final long total;
    private final ForceBy force;
    private final HashKey sticky;
    private final HttpString exposeHeader;
    private final SplitDecision[][] decisions;
    private final int[] cycle;
    private final AtomicLong counter = new AtomicLong();

    /**
     * @param split the spec
     * @param sides the handler of each side, in the order of {@link Split#sides()}
     */
    public SplitHandler(Split split, List<HttpHandler> sides) {
        List<Split.Side> spec = split.sides();
        if (spec.size() != sides.size()) {
            throw new IllegalArgumentException("split has " + spec.size() + " sides but " + sides.size() + " handlers");
        }
        int n = spec.size();
        this.names = new String[n];
        this.sides = sides.toArray(new HttpHandler[0]);
        this.cumulative = new long[n];
        this.decisions = new SplitDecision[n][];
        long sum = 0;
        int[] weights = new int[n];
        for (int i = 0; i < n; i++) {
            names[i] = spec.get(i).upstream();
            weights[i] = spec.get(i).weight();
            sum += weights[i];
            cumulative[i] = sum;
            SplitDecision.Reason[] reasons = SplitDecision.Reason.values();
            decisions[i] = new SplitDecision[reasons.length];
            for (SplitDecision.Reason r : reasons) {
                decisions[i][r.ordinal()] = new SplitDecision(names[i], r);
            }
        }
        this.total = sum;
        this.force = split.force().orElse(null);
        this.sticky = split.stickyBy().orElse(null);
        this.exposeHeader = split.exposeHeader().map(HttpString::tryFromString).orElse(null);
        this.cycle = smoothCycle(weights);
    }

    /**
     * nginx's smooth weighted round robin unrolled over one cycle, or null when the cycle is longer
     * than {@link #MAX_CYCLE}.
     */
    static int[] smoothCycle(int[] weights) {
        int g = 0;
        long sum = 0;
        for (int w : weights) {
            g = gcd(g, w);
            sum += w;
        }
        long length = sum / g;
        if (length > MAX_CYCLE) {
            return null;
        }
        int[] out = new int[(int) length];
        long[] current = new long[weights.length];
        for (int k = 0; k < out.length; k++) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i] / g;
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= length;
            out[k] = best;
        }
        return out;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        SplitDecision.Reason reason = SplitDecision.Reason.WEIGHT;
        int side = -1;
        if (force != null) {
            String value = force.value(exchange);
            if (value != null) {
                side = indexOf(value);
                if (side >= 0) {
                    reason = SplitDecision.Reason.FORCED;
                }
            }
        }
        if (side < 0 && sticky != null) {
            long h = sticky.hash(exchange);
            if (h != HashKey.MISSING) {
                side = slot(h);
                reason = SplitDecision.Reason.STICKY;
            }
        }
        if (side < 0) {
            side = byWeight();
        }
        exchange.putAttachment(SplitDecision.KEY, decisions[side][reason.ordinal()]);
        if (exposeHeader != null) {
            exchange.getResponseHeaders().put(exposeHeader, names[side]);
        }
        sides[side].handleRequest(exchange);
    }

    private int indexOf(String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The side owning the hash's place in the weight space; the place is the hash's top 32 bits as a fraction. */
    int slot(long hash) {
        long point = ((hash >>> 32) * total) >>> 32;
        for (int i = 0; i < cumulative.length; i++) {
            if (point < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

    int byWeight() {
        if (cycle != null) {
            return cycle[(int) Long.remainderUnsigned(counter.getAndIncrement(), cycle.length)];
        }
        long r = ThreadLocalRandom.current().nextLong(total);
        for (int i = 0; i < cumulative.length; i++) {
            if (r < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

}
