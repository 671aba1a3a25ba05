package dev.tollgate.proxy;

import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.testing.PatternBytes;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * A by-hand check that bodies stream through the gateway without being held: moves 1 GiB (or the size in
 * bytes given as the first argument) up and down through a gateway and prints byte counts, times and
 * the peak heap. Not a test (heap numbers are too noisy to assert); run it with a small heap:
 *
 * <pre>
 * java -Xmx64m -Xlog:gc:file=/tmp/gc.log -cp target/test-classes:target/classes:$(cat cp.txt) \
 *     dev.tollgate.proxy.LargeTransferCheck [bytes]
 * </pre>
 *
 * Exits with status 1 when a byte count is wrong or the heap peak reaches the maximum.
 */
public final class LargeTransferCheck {

    private LargeTransferCheck() {
    }

    public static void main(String[] args) throws Exception {
        long length = args.length > 0 ? Long.parseLong(args[0]) : 1L << 30;
        boolean ok = true;
        try (TestBackend backend = TestBackend.start();
             Gateway gateway = TestGateway.inFrontOf(backend.uri())
                     .limits(Limits.builder().maxRequestBodyBytes(2 * length))
                     .build().start()) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + gateway.port();
            // warm up once so class loading and pool allocation are not counted as transfer cost
            client.send(HttpRequest.newBuilder(URI.create(base + "/bytes/1024")).build(), HttpResponse.BodyHandlers.discarding());
            System.gc();
            resetPeaks();
            long baseline = heapUsed();

            long start = System.nanoTime();
            HttpResponse<String> up = client.send(HttpRequest.newBuilder(URI.create(base + "/sink"))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                            () -> PatternBytes.stream(length)), length)).build(), HttpResponse.BodyHandlers.ofString());
            ok &= report("upload   (Content-Length)", up.statusCode(), up.body().equals("{\"bodyBytes\":" + length + "}")
                    ? length : -1, length, start);

            start = System.nanoTime();
            HttpResponse<String> chunkedUp = client.send(HttpRequest.newBuilder(URI.create(base + "/sink"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> PatternBytes.stream(length))).build(),
                    HttpResponse.BodyHandlers.ofString());
            ok &= report("upload   (chunked)", chunkedUp.statusCode(), chunkedUp.body().equals("{\"bodyBytes\":" + length + "}")
                    ? length : -1, length, start);

            for (String path : new String[] {"/bytes/", "/chunked/"}) {
                start = System.nanoTime();
                HttpResponse<InputStream> down = client.send(HttpRequest.newBuilder(URI.create(base + path + length)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                long got = PatternBytes.readChecking(down.body());
                ok &= report("download (" + (path.equals("/bytes/") ? "Content-Length" : "chunked") + ")", down.statusCode(),
                        got, length, start);
            }
            long max = Runtime.getRuntime().maxMemory();
            long peak = heapPeak();
            System.out.printf("heap: max %d MiB, used before %d MiB, peak during transfers %d MiB%n",
                    max >> 20, baseline >> 20, peak >> 20);
            ok &= peak < max;
        }
        System.out.println(ok ? "OK" : "FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static boolean report(String what, int status, long got, long expected, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("%s: status %d, %d of %d bytes, %.2f s, %.0f MiB/s%n", what, status, got, expected, seconds,
                expected / seconds / (1 << 20));
        return status == 200 && got == expected;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    // the sum of per-pool peaks: an upper bound on the real peak, which is what a flatness check wants
    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
