package dev.tollgate.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on {@code 127.0.0.1} and an ephemeral port that sits between the gateway and a backend
 * and misbehaves on demand: delay, reset, blackhole, slow drip, refused connects. Put it in front of a
 * {@link TestBackend} and point the gateway's upstream at {@link #uri()}.
 *
 * <p>The mode can be switched at any time with {@link #mode(Mode)}. {@link Mode#RESET},
 * {@link Mode#BLACKHOLE} and {@link Mode#REFUSE} decide the fate of new connections at accept time;
 * open connections read the current mode on every chunk they forward, so switching PASS to DRIP slows
 * a response already in flight and switching to RESET kills open connections at their next chunk
 * (REFUSE leaves open connections passing).
 *
 * <p>Blocking sockets on daemon threads (two per forwarded connection). Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {

    /** What the proxy does; see {@link Mode}. */
    public enum Kind { PASS, DELAY, RESET, BLACKHOLE, DRIP, REFUSE }

    /**
     * A fault mode.
     *
     * @param kind what to do
     * @param interval the delay for {@link Kind#DELAY} and the per-byte pause for {@link Kind#DRIP};
     *     zero otherwise
     */
    public record Mode(Kind kind, Duration interval) {
        /** Forward both ways untouched. */
        public static final Mode PASS = new Mode(Kind.PASS, Duration.ZERO);
        /** Accept, then close with {@code SO_LINGER 0} so the client sees a TCP RST. */
        public static final Mode RESET = new Mode(Kind.RESET, Duration.ZERO);
        /** Accept, read and discard everything, never answer, never contact the target. */
        public static final Mode BLACKHOLE = new Mode(Kind.BLACKHOLE, Duration.ZERO);
        /** Close the listening socket so connects are refused; leaving this mode binds the same port again. */
        public static final Mode REFUSE = new Mode(Kind.REFUSE, Duration.ZERO);

        public Mode {
            requireNonNull(kind, "kind");
            requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("interval: " + interval + " (expected: >= 0)");
            }
        }

        /** Every chunk from the target waits {@code delay} before it goes to the client; requests pass straight. */
        public static Mode delay(Duration delay) {
            return new Mode(Kind.DELAY, delay);
        }

        /** Bytes from the target go to the client one at a time, {@code perByte} apart; requests pass straight. */
        public static Mode drip(Duration perByte) {
            return new Mode(Kind.DRIP, perByte);
        }
    }

    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final Duration REBIND_TIMEOUT = Duration.ofSeconds(2);

    private final InetSocketAddress target;
    private final InetAddress bindAddress;
    private final int port;
    private final ExecutorService threads;
    private final AtomicLong accepted = new AtomicLong();
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Set<Socket> upstreams = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.PASS;
    private volatile boolean closed;
    private ServerSocket listener; // guarded by this; null while refusing

    private FaultProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.bindAddress = loopback();
        this.listener = bind(0);
        this.port = listener.getLocalPort();
        AtomicInteger threadNumber = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "fault-proxy-" + port + "-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        startAcceptor(listener);
    }

    /** Starts a proxy in {@link Mode#PASS} forwarding to {@code 127.0.0.1:targetPort}. */
    public static FaultProxy start(int targetPort) throws IOException {
        return start("127.0.0.1", targetPort);
    }

    /** Starts a proxy in {@link Mode#PASS} forwarding to {@code targetHost:targetPort}. */
    public static FaultProxy start(String targetHost, int targetPort) throws IOException {
        return new FaultProxy(requireNonNull(targetHost, "targetHost"), targetPort);
    }

    /** The port the proxy listens on; stays the same across {@link Mode#REFUSE}. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}, handy as an upstream endpoint. */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The current mode. */
    public Mode mode() {
        return mode;
    }

    /**
     * Switches the mode. Entering {@link Mode#REFUSE} closes the listening socket before returning;
     * leaving it binds the same port again before returning.
     *
     * @throws IllegalStateException when the port cannot be bound again within 2 s, or after close
     */
    public synchronized FaultProxy mode(Mode newMode) {
        requireNonNull(newMode, "newMode");
        if (closed) {
            throw new IllegalStateException("fault proxy on port " + port + " is closed");
        }
        // set first, so that a connection accepted while the listener closes is treated as refused
        this.mode = newMode;
        if (newMode.kind() == Kind.REFUSE) {
            if (listener != null) {
                closeQuietly(listener);
                listener = null;
            }
        } else if (listener == null) {
            listener = rebind();
            startAcceptor(listener);
        }
        return this;
    }

    /** Connections accepted since start, in every mode. */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /** Client connections currently open through the proxy. */
    public int openConnections() {
        return clients.size();
    }

    /** Closes the listener and every open connection; the port is released. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (listener != null) {
                closeQuietly(listener);
                listener = null;
            }
        }
        clients.forEach(FaultProxy::closeQuietly);
        upstreams.forEach(FaultProxy::closeQuietly);
        threads.shutdownNow();
    }

    @Override
    public String toString() {
        return "FaultProxy[" + port + " -> " + target + ", " + mode + "]";
    }

    private ServerSocket bind(int bindPort) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(bindAddress, bindPort), 128);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private ServerSocket rebind() {
        long deadline = System.nanoTime() + REBIND_TIMEOUT.toNanos();
        while (true) {
            try {
                return bind(port);
            } catch (BindException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("fault proxy: port " + port + " could not be bound again: "
                            + e.getMessage(), e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            } catch (IOException e) {
                throw new IllegalStateException("fault proxy: port " + port + " could not be bound again", e);
            }
        }
    }

    private void startAcceptor(ServerSocket socket) {
        threads.execute(() -> {
            while (!socket.isClosed()) {
                Socket client;
                try {
                    client = socket.accept();
                } catch (IOException e) {
                    return; // listener closed by REFUSE or close()
                }
                accepted.incrementAndGet();
                handle(client);
            }
        });
    }

    private void handle(Socket client) {
        clients.add(client);
        if (closed) {
            release(client);
            return;
        }
        switch (mode.kind()) {
            case RESET, REFUSE -> resetAndRelease(client);
            case BLACKHOLE -> threads.execute(() -> discard(client));
            default -> threads.execute(() -> forward(client));
        }
    }

    private void discard(Socket client) {
        byte[] buffer = new byte[8192];
        try (InputStream in = client.getInputStream()) {
            while (in.read(buffer) >= 0) {
                // swallowed on purpose
            }
        } catch (IOException e) {
            // the client gave up or the proxy closed
        } finally {
            release(client);
        }
    }

    private void forward(Socket client) {
        Socket upstream = new Socket();
        upstreams.add(upstream);
        try {
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
        } catch (IOException e) {
            // the target is down: the client sees its connection reset, as if the target refused it
            resetAndRelease(client);
            release(upstream);
            return;
        }
        Link link = new Link(client, upstream);
        threads.execute(() -> pump(link, client, upstream, false));
        pump(link, upstream, client, true);
    }

    /** Copies one direction until EOF, applying the current mode per chunk. */
    private void pump(Link link, Socket from, Socket to, boolean fromTarget) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int n = in.read(buffer);
                if (n < 0) {
                    to.shutdownOutput(); // pass the half-close on; the other direction may still be busy
                    break;
                }
                Mode current = mode;
                switch (current.kind()) {
                    case RESET -> {
                        link.reset();
                        return;
                    }
                    case BLACKHOLE -> {
                        continue;
                    }
                    case DELAY -> {
                        if (fromTarget) {
                            pause(current.interval());
                        }
                        out.write(buffer, 0, n);
                    }
                    case DRIP -> {
                        if (fromTarget) {
                            for (int i = 0; i < n; i++) {
                                out.write(buffer[i]);
                                out.flush();
                                pause(current.interval());
                            }
                        } else {
                            out.write(buffer, 0, n);
                        }
                    }
                    default -> out.write(buffer, 0, n);
                }
                out.flush();
            }
        } catch (IOException e) {
            // a reset or a closed socket on one side is passed on to the other as a reset
            link.reset();
            return;
        }
        link.directionDone();
    }

    private void pause(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        for (long left = duration.toNanos(); left > 0 && !closed; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    private void release(Socket socket) {
        closeQuietly(socket);
        clients.remove(socket);
        upstreams.remove(socket);
    }

    private void resetAndRelease(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // already closed; nothing to reset
        }
        release(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing is best effort
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByName("127.0.0.1");
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The two sockets of one forwarded connection; closed once both directions ended. */
    private final class Link {
        private final Socket client;
        private final Socket upstream;
        private final AtomicInteger directionsDone = new AtomicInteger();

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void directionDone() {
            if (directionsDone.incrementAndGet() == 2) {
                release(client);
                release(upstream);
            }
        }

        void reset() {
            resetAndRelease(client);
            resetAndRelease(upstream);
        }
    }
}
