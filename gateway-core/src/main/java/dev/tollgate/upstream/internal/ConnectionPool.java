package dev.tollgate.upstream.internal;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.UndertowClient;
import io.undertow.connector.ByteBufferPool;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import dev.tollgate.internal.Deadlines;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Connections from one IO thread to one endpoint. Every method runs on {@link #thread()}; there is no
 * locking because nothing else touches the pool. At most {@code maxConnections} are open or being
 * opened; requests beyond that wait in a bounded queue for a connection to come back.
 */
public final class ConnectionPool {

    /** What a request asking for a connection gets told. Both methods run on the pool's IO thread. */
    public interface Waiter {
        /** A connection is ready; {@code reused} is true when it served a request before. */
        void connected(ClientConnection connection, boolean reused);

        /** No connection: see {@link Failure}. */
        void failed(Failure failure, IOException cause);

        /** Whether the waiter still wants a connection (false once its client went away). */
        default boolean wanted() {
            return true;
        }
    }

    /** Why no connection could be had. */
    public enum Failure {
        /** The connect attempt failed (refused, unreachable, reset, TLS). */
        CONNECT_FAILED,
        /** The connect attempt took longer than the connect timeout. */
        CONNECT_TIMEOUT,
        /** The pool was full and so was its wait queue. */
        QUEUE_FULL,
        /** The pool was full and no connection came back within the acquire timeout. */
        QUEUE_TIMEOUT,
        /** The pool is closed: the gateway stops. */
        CLOSED,
        /** The endpoint left its upstream after the request picked it: pick another. */
        REMOVED
    }

    /** The settings every pool of a gateway shares. */
    public record Settings(int maxConnections, int maxWaiters, Duration acquireTimeout, Duration connectTimeout,
                           Duration idleTimeout, Duration responseTimeout, OptionMap clientOptions, ByteBufferPool bufferPool) {
    }

    private static final class Idle {
        final ClientConnection connection;
        final long since;

        Idle(ClientConnection connection, long since) {
            this.connection = connection;
            this.since = since;
        }
    }

    private static final class Queued {
        final Waiter waiter;
        XnioExecutor.Key timeout;

        Queued(Waiter waiter) {
            this.waiter = waiter;
        }
    }

    private final XnioIoThread thread;
    private final EndpointState endpoint;
    private final Settings settings;
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private final ArrayDeque<Queued> waiters = new ArrayDeque<>();
    private final Deadlines responseDeadlines;
    private int open;
    private boolean closed;
    private XnioExecutor.Key sweep;

    public ConnectionPool(XnioIoThread thread, EndpointState endpoint, Settings settings) {
        this.thread = thread;
        this.endpoint = endpoint;
        this.settings = settings;
        this.responseDeadlines = new Deadlines(thread, settings.responseTimeout().toNanos());
    }

    /** Response timeouts of the requests sent through this pool. */
    public Deadlines responseDeadlines() {
        return responseDeadlines;
    }

    public XnioIoThread thread() {
        return thread;
    }

    /** Open connections, idle or busy, plus those being opened. */
    public int open() {
        return open;
    }

    public int idle() {
        return idle.size();
    }

    public int waiting() {
        return waiters.size();
    }

    /** Asks for a connection; the waiter is called back on this thread, possibly before this returns. */
    public void acquire(Waiter waiter) {
        if (closed) {
            waiter.failed(Failure.CLOSED, new IOException("connection pool for " + endpoint + " is closed"));
            return;
        }
        if (endpoint.removed()) {
            waiter.failed(Failure.REMOVED, new IOException(endpoint + " was removed from its upstream"));
            return;
        }
        long now = System.nanoTime();
        while (!idle.isEmpty()) {
            Idle candidate = idle.pollLast();
            if (candidate.connection.isOpen() && now - candidate.since < settings.idleTimeout().toNanos()) {
                waiter.connected(candidate.connection, true);
                return;
            }
            discard(candidate.connection);
        }
        if (open < settings.maxConnections()) {
            connect(waiter);
        } else if (waiters.size() < settings.maxWaiters()) {
            Queued q = new Queued(waiter);
            waiters.add(q);
            q.timeout = thread.executeAfter(() -> {
                if (waiters.remove(q)) {
                    q.waiter.failed(Failure.QUEUE_TIMEOUT, new IOException("no connection to " + endpoint
                            + " became free within " + settings.acquireTimeout().toMillis() + " ms"));
                }
            }, settings.acquireTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            waiter.failed(Failure.QUEUE_FULL, new IOException("connection pool for " + endpoint + " is full ("
                    + settings.maxConnections() + " connections, " + settings.maxWaiters() + " waiting)"));
        }
    }

    /**
     * Gives a connection back after a request. A connection that may not be reused (it failed, timed
     * out, or its exchange did not finish cleanly) is closed; its place then goes to a waiter.
     */
    public void release(ClientConnection connection, boolean reusable) {
        if (reusable && connection.isOpen() && !closed && !endpoint.removed()) {
            Queued next = nextWaiter();
            if (next != null) {
                next.waiter.connected(connection, true);
                return;
            }
            idle.addLast(new Idle(connection, System.nanoTime()));
            scheduleSweep();
            return;
        }
        discard(connection);
        Queued next = nextWaiter();
        if (next != null) {
            if (closed) {
                next.waiter.failed(Failure.CLOSED, new IOException("connection pool for " + endpoint + " is closed"));
            } else if (endpoint.removed()) {
                next.waiter.failed(Failure.REMOVED, new IOException(endpoint + " was removed from its upstream"));
            } else {
                connect(next.waiter);
            }
        }
    }

    /** Closes idle connections and fails waiters; busy connections close when released. */
    public void close() {
        closed = true;
        closeIdle();
        Queued q;
        while ((q = waiters.poll()) != null) {
            if (q.timeout != null) {
                q.timeout.remove();
            }
            q.waiter.failed(Failure.CLOSED, new IOException("connection pool for " + endpoint + " is closed"));
        }
    }

    /** Closes the idle connections only (the endpoint was removed, or they expired). */
    public void closeIdle() {
        Idle i;
        while ((i = idle.poll()) != null) {
            discard(i.connection);
        }
    }

    private Queued nextWaiter() {
        Queued q;
        while ((q = waiters.poll()) != null) {
            if (q.timeout != null) {
                q.timeout.remove();
            }
            if (q.waiter.wanted()) {
                return q;
            }
        }
        return null;
    }

    private void discard(ClientConnection connection) {
        open--;
        closeNow(connection);
    }

    /**
     * Closes the socket at once. {@code ClientConnection.close()} is a clean close: it waits up to 10 s
     * for the peer to finish before the socket goes, so a timed-out or broken connection to a hung
     * upstream stayed open that long while no longer counted in {@link #open()}, and the pool could hold
     * far more sockets to it than {@code maxConnections}. Nothing on a discarded connection is worth
     * draining. {@code performUpgrade()} is the client API's only way to the raw connection.
     */
    private static void closeNow(ClientConnection connection) {
        try {
            IoUtils.safeClose(connection.performUpgrade());
        } catch (IOException | RuntimeException e) {
            // already closed, or a connection kind without a raw socket: the clean close below still runs
        }
        IoUtils.safeClose(connection);
    }

    private void connect(Waiter waiter) {
        open++;
        URI uri = endpoint.endpoint().uri();
        final boolean[] done = new boolean[1];
        XnioExecutor.Key timeout = thread.executeAfter(() -> {
            if (!done[0]) {
                done[0] = true;
                open--;
                waiter.failed(Failure.CONNECT_TIMEOUT, new IOException("connect to " + uri + " timed out after "
                        + settings.connectTimeout().toMillis() + " ms"));
                onSlotFreed();
            }
        }, settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            UndertowClient.getInstance().connect(new ClientCallback<>() {
                @Override
                public void completed(ClientConnection connection) {
                    if (done[0]) {
                        // the timeout already failed this attempt; the slot was given back then
                        closeNow(connection);
                        return;
                    }
                    done[0] = true;
                    timeout.remove();
                    if (closed) {
                        discard(connection);
                        waiter.failed(Failure.CLOSED, new IOException("connection pool for " + endpoint + " is closed"));
                        return;
                    }
                    // an endpoint removed meanwhile still serves the request that opened this
                    // connection; the release afterwards closes it
                    if (!waiter.wanted()) {
                        release(connection, true);
                        return;
                    }
                    waiter.connected(connection, false);
                }

                @Override
                public void failed(IOException e) {
                    if (done[0]) {
                        return;
                    }
                    done[0] = true;
                    timeout.remove();
                    open--;
                    waiter.failed(Failure.CONNECT_FAILED, e);
                    onSlotFreed();
                }
            }, null, uri, thread, endpoint.ssl(), settings.bufferPool(), endpoint.clientOptions(settings.clientOptions()));
        } catch (RuntimeException e) {
            if (!done[0]) {
                done[0] = true;
                timeout.remove();
                open--;
                waiter.failed(Failure.CONNECT_FAILED, new IOException(e.getMessage(), e));
            }
        }
    }

    // a failed connect frees a slot: the next waiter tries its own connect rather than waiting on
    private void onSlotFreed() {
        Queued next = nextWaiter();
        if (next != null) {
            connect(next.waiter);
        }
    }

    private void scheduleSweep() {
        if (sweep != null || closed) {
            return;
        }
        long period = Math.max(1, settings.idleTimeout().toMillis() / 2);
        sweep = thread.executeAfter(() -> {
            sweep = null;
            long now = System.nanoTime();
            Iterator<Idle> it = idle.iterator();
            while (it.hasNext()) {
                Idle i = it.next();
                if (!i.connection.isOpen() || now - i.since >= settings.idleTimeout().toNanos()) {
                    it.remove();
                    discard(i.connection);
                }
            }
            if (!idle.isEmpty()) {
                scheduleSweep();
            }
        }, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public String toString() {
        return "ConnectionPool[" + endpoint + " on " + thread.getName() + " open=" + open + " idle=" + idle.size()
                + " waiting=" + waiters.size() + "]";
    }
}
