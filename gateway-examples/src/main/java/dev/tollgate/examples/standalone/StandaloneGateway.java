package dev.tollgate.examples.standalone;

import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.examples.demo.DemoBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The runnable gateway, configured by environment variables (see {@link EnvConfig} and the README).
 * Without {@code GATEWAY_BACKEND_TARGET} it also starts the demo backend on port 8048 so that it works
 * with nothing else running. On SIGTERM or SIGINT it stops accepting, drains in-flight requests for up
 * to {@code GATEWAY_DRAIN_TIMEOUT} and exits 0. A configuration error exits 2 with a message naming
 * the variable.
 */
public final class StandaloneGateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StandaloneGateway.class);

    private final Gateway gateway;
    private final DemoBackend demo;
    private final Duration drain;

    private StandaloneGateway(Gateway gateway, DemoBackend demo, Duration drain) {
        this.gateway = gateway;
        this.demo = demo;
        this.drain = drain;
    }

    /**
     * Starts from the given environment.
     *
     * @throws ConfigException when a variable is wrong
     */
    public static StandaloneGateway start(Map<String, String> env) {
        EnvConfig config = EnvConfig.of(env);
        Gateway.Builder builder = config.toBuilder();
        StandaloneMiddleware.apply(config, builder);
        Gateway gateway = builder.build();
        DemoBackend demo = null;
        if (!config.hasBackendTarget()) {
            int demoPort = URI.create(EnvConfig.DEFAULT_BACKEND_TARGET).getPort();
            demo = DemoBackend.start("127.0.0.1", demoPort);
            log.info("GATEWAY_BACKEND_TARGET is not set: started the demo backend on 127.0.0.1:{} (it echoes each request as JSON)",
                    demo.port());
        }
        try {
            gateway.start();
        } catch (RuntimeException e) {
            if (demo != null) {
                demo.close();
            }
            throw e;
        }
        log.info("tollgate standalone: port {}, backend {}", gateway.port(), config.backendTarget());
        return new StandaloneGateway(gateway, demo, config.drainTimeout());
    }

    public Gateway gateway() {
        return gateway;
    }

    /** Drains and stops the gateway, then the demo backend. @return whether the drain completed */
    public boolean stop() {
        boolean drained = gateway.stop(drain);
        if (demo != null) {
            demo.close();
        }
        return drained;
    }

    @Override
    public void close() {
        stop();
    }

    public static void main(String[] args) throws InterruptedException {
        StandaloneGateway running;
        try {
            running = start(System.getenv());
        } catch (ConfigException e) {
            log.error("configuration error: {}", e.getMessage());
            System.err.println("tollgate: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            log.error("could not start: {}", e.getMessage());
            System.err.println("tollgate: could not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable shutdown = () -> {
            log.info("signal received: draining");
            running.stop();
            stopped.countDown();
        };
        // handling the signals ourselves (rather than a shutdown hook) lets the process exit 0
        Signal.handle(new Signal("TERM"), sig -> new Thread(shutdown, "tollgate-shutdown").start());
        Signal.handle(new Signal("INT"), sig -> new Thread(shutdown, "tollgate-shutdown").start());
        stopped.await();
        System.exit(0);
    }
}
