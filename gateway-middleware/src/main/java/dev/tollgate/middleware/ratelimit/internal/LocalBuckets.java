package dev.tollgate.middleware.ratelimit.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.local.LocalBucketBuilder;

import java.time.Duration;

/**
 * Buckets in this process: a Caffeine cache bounded by size, whose idle entries expire. Decisions
 * take no lock beyond Caffeine's striped ones and bucket4j's lock-free compare-and-set, so they run
 * on the IO thread. Thread-safe.
 */
public final class LocalBuckets {

    private final Policies policies;
    private final Cache<String, Bucket> buckets;

    /**
     * @param maxKeys most buckets held at once
     * @param idleExpiry how long an unused bucket is kept
     */
    public LocalBuckets(Policies policies, long maxKeys, Duration idleExpiry) {
        this.policies = policies;
        // maintenance on the calling thread: no shared pool, and it is amortised and non-blocking
        this.buckets = Caffeine.newBuilder().maximumSize(maxKeys).expireAfterAccess(idleExpiry)
                .executor(Runnable::run).build();
    }

    /** Consumes {@code cost} units for {@code key} from every limit, or none when one lacks them. Any thread; non-blocking. */
    public Decision tryConsume(String key, long cost) {
        Bucket bucket = buckets.get(key, k -> newBucket());
        return policies.decide(bucket.asVerbose().tryConsumeAndReturnRemaining(cost), cost);
    }

    private Bucket newBucket() {
        // System.nanoTime: monotonic, so a wall-clock step neither refills nor starves a bucket
        LocalBucketBuilder b = Bucket.builder().withNanosecondPrecision();
        for (Bandwidth bandwidth : policies.configuration().getBandwidths()) {
            b.addLimit(bandwidth);
        }
        return b.build();
    }

    /** Buckets held now (after pending evictions, see {@link #cleanUp()}). */
    public long size() {
        return buckets.estimatedSize();
    }

    /** Runs pending evictions now (tests and benchmarks). */
    public void cleanUp() {
        buckets.cleanUp();
    }
}
