package dev.tollgate.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * HTTP/1.1 keep-alive load generator: {@code connections} sockets driven by one selector thread
 * (the caller's), each with at most one request in flight.
 *
 * <ul>
 *   <li>{@link #closedLoop}: a connection sends its next request as soon as the previous response
 *       has arrived. Measures throughput.
 *   <li>{@link #fixedRate}: requests are due at a constant total rate ({@link FixedRateSchedule});
 *       a pacer thread wakes the selector at each due time and latency runs from the due time,
 *       wrk2 style, so a server stall is charged to every request that should have been sent
 *       during it (coordinated omission corrected).
 * </ul>
 *
 * <p>Both are bounded: sending stops at the end of the window or after {@code maxRequests}, and
 * outstanding requests get at most {@link #DRAIN} to finish; what is still open then is counted
 * as unfinished. Non-2xx responses, IO and parse errors are counted, and a broken connection is
 * reopened after {@link #RECONNECT_DELAY}.
 *
 * <p>A generator runs one load at a time; not thread-safe.
 */
final class LoadGenerator {

    /** Longest time given to outstanding requests after the window ends. */
    static final Duration DRAIN = Duration.ofSeconds(5);
    /** Pause before reopening a failed connection, so a dead target is not hammered. */
    static final Duration RECONNECT_DELAY = Duration.ofMillis(10);

    private static final long LATENCY_HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(2);
    /** Below this slot interval the pacer does not spin; spinning would eat a core. */
    private static final long SPIN_MIN_INTERVAL_NANOS = TimeUnit.MICROSECONDS.toNanos(400);
    /** How long before a due time the pacer stops parking and spins (park overshoots ~50 us). */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(60);

    private final LoadTarget target;
    private final int connectionCount;
    private final long maxRequests;

    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer request;

    // per-run state
    private Selector selector;
    private Conn[] conns;
    private FixedRateSchedule schedule; // null in closed-loop mode
    private long measureFrom;
    private long measureTo;
    private WindowListener listener;
    private boolean windowOpened;
    private boolean windowClosed;
    private long sent;
    private long completed;
    private long non2xx;
    private long ioErrors;
    private String firstError;
    private Histogram latency;
    private Histogram service;
    private Histogram sendLag;

    /**
     * @param target where to send {@code GET} requests (loopback only)
     * @param connections keep-alive connections, 1..10,000
     * @param maxRequests hard cap on requests sent per run, >= 1
     */
    LoadGenerator(LoadTarget target, int connections, long maxRequests) {
        this.target = requireNonNull(target, "target");
        if (connections < 1 || connections > 10_000) {
            throw new IllegalArgumentException("connections: " + connections + " (expected: 1..10000)");
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests: " + maxRequests + " (expected: >= 1)");
        }
        this.connectionCount = connections;
        this.maxRequests = maxRequests;
        this.request = target.requestBytes();
    }

    /**
     * Told, on the generator's thread, when the measurement window opens (warm-up over) and when
     * it closes, so a caller can take readings (e.g. thread CPU time) of exactly the measured
     * phase. Called once each, in that order, for every run.
     */
    interface WindowListener {
        WindowListener NONE = new WindowListener() {
        };

        default void windowOpened() {
        }

        default void windowClosed() {
        }
    }

    /** Closed-loop run: warm-up, then a measurement window. Blocks for about warm-up + duration. */
    LoadResult closedLoop(Duration warmup, Duration duration) throws IOException {
        return closedLoop(warmup, duration, WindowListener.NONE);
    }

    /** {@link #closedLoop(Duration, Duration)}, telling {@code listener} when the window opens and closes. */
    LoadResult closedLoop(Duration warmup, Duration duration, WindowListener listener) throws IOException {
        return run(warmup, duration, 0, listener);
    }

    /**
     * Fixed-rate run at {@code ratePerSecond} over all connections. Blocks for about warm-up +
     * duration (plus the drain if the target falls behind).
     */
    LoadResult fixedRate(int ratePerSecond, Duration warmup, Duration duration) throws IOException {
        return fixedRate(ratePerSecond, warmup, duration, WindowListener.NONE);
    }

    /** {@link #fixedRate(int, Duration, Duration)}, telling {@code listener} when the window opens and closes. */
    LoadResult fixedRate(int ratePerSecond, Duration warmup, Duration duration, WindowListener listener)
            throws IOException {
        if (ratePerSecond < 1) {
            throw new IllegalArgumentException("rate: " + ratePerSecond + " (expected: >= 1)");
        }
        return run(warmup, duration, ratePerSecond, listener);
    }

    private LoadResult run(Duration warmup, Duration duration, int rate, WindowListener listener) throws IOException {
        requireNonNull(warmup, "warmup");
        requireNonNull(duration, "duration");
        this.listener = requireNonNull(listener, "listener");
        if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("warmup: " + warmup + ", duration: " + duration
                    + " (expected: warmup >= 0, duration > 0)");
        }
        resetCounters();
        long start = System.nanoTime();
        measureFrom = start + warmup.toNanos();
        measureTo = measureFrom + duration.toNanos();
        if (warmup.isZero()) {
            windowOpened = true;
            listener.windowOpened();
        }
        schedule = rate > 0 ? new FixedRateSchedule(start, rate, connectionCount) : null;
        conns = new Conn[connectionCount];
        Thread pacer = null;
        try (Selector sel = Selector.open()) {
            selector = sel;
            for (int i = 0; i < connectionCount; i++) {
                conns[i] = new Conn(i, request.duplicate());
                connect(conns[i], start);
            }
            if (schedule != null) {
                pacer = startPacer(sel);
            }
            loop();
            if (!windowClosed) { // not reached when the loop ended by an exception
                windowClosed = true;
                listener.windowClosed();
            }
        } finally {
            if (pacer != null) {
                pacer.interrupt();
            }
            for (Conn c : conns) {
                if (c != null) {
                    c.closeQuietly();
                }
            }
            selector = null;
        }
        long unfinished = countUnfinished();
        double seconds = duration.toNanos() / 1e9;
        return new LoadResult(schedule != null ? "fixed-rate" : "closed-loop", connectionCount, seconds, completed,
                latency, service, sendLag, non2xx, ioErrors, unfinished, firstError == null ? "" : firstError);
    }

    private void resetCounters() {
        sent = 0;
        completed = 0;
        non2xx = 0;
        ioErrors = 0;
        firstError = null;
        latency = new Histogram(LATENCY_HIGHEST_MICROS, 3);
        service = new Histogram(LATENCY_HIGHEST_MICROS, 3);
        sendLag = new Histogram(LATENCY_HIGHEST_MICROS, 3);
        windowOpened = false;
        windowClosed = false;
    }

    /** Tells the listener when the window boundaries have been passed; on the selector thread. */
    private void notifyWindow(long now) {
        if (!windowOpened && now >= measureFrom) {
            windowOpened = true;
            listener.windowOpened();
        }
        if (windowOpened && !windowClosed && now >= measureTo) {
            windowClosed = true;
            listener.windowClosed();
        }
    }

    /** The selector loop; runs on the calling thread until the window is over and drained. */
    private void loop() throws IOException {
        long drainUntil = measureTo + DRAIN.toNanos();
        while (true) {
            long now = System.nanoTime();
            notifyWindow(now);
            if (now >= drainUntil || (now >= measureTo && idle())) {
                return;
            }
            // the pacer's wakeup() ends the wait early in fixed-rate mode; 5 ms bounds the rest
            selector.select(5);
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                Conn c = (Conn) key.attachment();
                try {
                    if (key.isConnectable()) {
                        onConnectable(c);
                    } else {
                        if (key.isWritable()) {
                            onWritable(c);
                        }
                        if (key.isValid() && key.isReadable()) {
                            onReadable(c);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    fail(c, e);
                }
            }
            now = System.nanoTime();
            for (Conn c : conns) {
                if (c.channel == null) {
                    if (now >= c.reconnectAt && now < measureTo) {
                        connect(c, now);
                    }
                } else if (c.connected && !c.inFlight) {
                    trySend(c, now);
                }
            }
        }
    }

    /** True when nothing is in flight and nothing due is still waiting to be sent. */
    private boolean idle() {
        for (Conn c : conns) {
            if (c.inFlight || (schedule != null && c.channel != null && hasBacklog(c))) {
                return false;
            }
        }
        return true;
    }

    private boolean hasBacklog(Conn c) {
        return sent < maxRequests && schedule.intendedNanos(c.index, c.sentOnSchedule) < measureTo;
    }

    private long countUnfinished() {
        long open = 0;
        for (Conn c : conns) {
            if (c.inFlight) {
                open++;
            }
            if (schedule != null) {
                // slots of this connection before the end of the window that were never sent
                long k = c.sentOnSchedule;
                while (sent < maxRequests && schedule.intendedNanos(c.index, k) < measureTo) {
                    open++;
                    k++;
                }
            }
        }
        return open;
    }

    private void connect(Conn c, long now) {
        try {
            SocketChannel channel = SocketChannel.open();
            c.channel = channel;
            c.connected = false;
            c.parser = new ResponseParser();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (channel.connect(target.address())) {
                c.key = channel.register(selector, SelectionKey.OP_READ, c);
                c.connected = true;
                trySend(c, now);
            } else {
                c.key = channel.register(selector, SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException | RuntimeException e) {
            fail(c, e);
        }
    }

    private void onConnectable(Conn c) throws IOException {
        if (c.channel.finishConnect()) {
            c.connected = true;
            c.key.interestOps(SelectionKey.OP_READ);
            trySend(c, System.nanoTime());
        }
    }

    /** Sends the connection's next request if one is due. */
    private void trySend(Conn c, long now) throws IOException {
        if (c.inFlight || !c.connected || now >= measureTo || sent >= maxRequests) {
            return;
        }
        long intended;
        if (schedule == null) {
            intended = now;
        } else {
            intended = schedule.intendedNanos(c.index, c.sentOnSchedule);
            if (intended > now || intended >= measureTo) {
                return;
            }
            c.sentOnSchedule++;
        }
        sent++;
        c.inFlight = true;
        c.intendedAt = intended;
        c.sentAt = now;
        c.request.clear();
        c.channel.write(c.request);
        if (c.request.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    private void onWritable(Conn c) throws IOException {
        c.channel.write(c.request);
        if (!c.request.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void onReadable(Conn c) throws IOException {
        ByteBuffer in = readBuffer;
        while (true) {
            in.clear();
            int read = c.channel.read(in);
            if (read < 0) {
                onEndOfInput(c);
                return;
            }
            if (read == 0) {
                return;
            }
            in.flip();
            while (in.hasRemaining()) {
                if (!c.inFlight) {
                    throw new IOException("server sent " + in.remaining() + " bytes with no request outstanding");
                }
                if (c.parser.feed(in)) {
                    if (in.hasRemaining()) {
                        throw new IOException("server sent bytes after the response with no request outstanding");
                    }
                    boolean keepAlive = c.parser.keepAlive();
                    onResponse(c, c.parser.status());
                    if (!keepAlive) {
                        c.closeQuietly(); // not an error: reopen at once
                        c.reconnectAt = 0;
                        return;
                    }
                    trySend(c, System.nanoTime());
                    return;
                }
            }
            if (read < in.capacity()) {
                return;
            }
        }
    }

    private void onEndOfInput(Conn c) throws IOException {
        if (c.inFlight && c.parser.endOfInput()) {
            onResponse(c, c.parser.status());
            c.closeQuietly();
            c.reconnectAt = 0;
            return;
        }
        if (c.inFlight) {
            throw new IOException("server closed the connection with a request outstanding");
        }
        c.closeQuietly(); // an idle keep-alive connection closed by the server: reopen quietly
        c.reconnectAt = 0;
    }

    private void onResponse(Conn c, int status) {
        long now = System.nanoTime();
        c.inFlight = false;
        boolean ok = status >= 200 && status < 300;
        if (!ok) {
            non2xx++;
            if (firstError == null) {
                firstError = "HTTP " + status;
            }
            return;
        }
        // closed loop counts what completes in the window; fixed rate what was due in it
        long stamp = schedule == null ? now : c.intendedAt;
        if (stamp >= measureFrom && stamp < measureTo) {
            completed++;
            latency.recordValue(micros(now - c.intendedAt));
            service.recordValue(micros(now - c.sentAt));
            if (schedule != null) {
                sendLag.recordValue(micros(c.sentAt - c.intendedAt));
            }
        }
    }

    private static long micros(long nanos) {
        return Math.min(LATENCY_HIGHEST_MICROS, Math.max(0, nanos / 1000));
    }

    private void fail(Conn c, Throwable e) {
        ioErrors++;
        if (firstError == null) {
            firstError = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        c.inFlight = false;
        c.closeQuietly();
        c.reconnectAt = System.nanoTime() + RECONNECT_DELAY.toNanos();
    }

    private Thread startPacer(Selector sel) {
        FixedRateSchedule s = schedule;
        long end = measureTo;
        boolean spin = s.slotIntervalNanos() >= SPIN_MIN_INTERVAL_NANOS;
        Thread pacer = new Thread(() -> {
            try {
                for (long slot = 0; !Thread.currentThread().isInterrupted(); slot++) {
                    long due = s.slotNanos(slot);
                    if (due >= end) {
                        return;
                    }
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        if (!spin) {
                            LockSupport.parkNanos(wait);
                        } else if (wait > SPIN_NANOS) {
                            LockSupport.parkNanos(wait - SPIN_NANOS);
                        } else {
                            Thread.onSpinWait();
                        }
                        if (Thread.currentThread().isInterrupted()) {
                            return;
                        }
                    }
                    sel.wakeup();
                }
            } catch (ClosedSelectorException e) {
                // the run is over
            }
        }, "load-pacer");
        pacer.setDaemon(true);
        pacer.start();
        return pacer;
    }

    /** One keep-alive connection; touched only by the selector thread. */
    private static final class Conn {
        final int index;
        final ByteBuffer request;
        SocketChannel channel;
        SelectionKey key;
        ResponseParser parser;
        boolean connected;
        boolean inFlight;
        long sentOnSchedule;
        long intendedAt;
        long sentAt;
        long reconnectAt;

        Conn(int index, ByteBuffer request) {
            this.index = index;
            this.request = request;
        }

        void closeQuietly() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing left to do with it
                }
            }
            channel = null;
            key = null;
            connected = false;
            inFlight = false;
        }
    }
}
