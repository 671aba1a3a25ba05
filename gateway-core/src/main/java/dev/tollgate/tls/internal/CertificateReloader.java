package dev.tollgate.tls.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the files of one {@link ReloadingKeyManager} and swaps in their new content. Every interval
 * it compares each file's modification time and size; only when one moved are the files read, and only
 * when their content hash differs from the material in use are they parsed. A replacement that fails
 * to load (a half-written file, a key that does not match yet) is logged once per content and the
 * current certificate stays; the next change is tried again. Runs on its own daemon thread, owned by
 * one gateway, never on an IO thread.
 */
public final class CertificateReloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

    private final KeyMaterial.Loader loader;
    private final ReloadingKeyManager keyManager;
    private final Duration interval;
    private ScheduledExecutorService scheduler;
    // touched only by the scheduler thread (and the constructor, before it starts)
    private String stamps;
    private byte[] hash;
    private byte[] failedHash;

    /** @param initialContents the file contents {@code keyManager} was made from */
    public CertificateReloader(KeyMaterial.Loader loader, ReloadingKeyManager keyManager, Duration interval,
                               List<byte[]> initialContents) {
        this.loader = loader;
        this.keyManager = keyManager;
        this.interval = interval;
        this.stamps = stamps();
        this.hash = hash(initialContents);
    }

    /** Starts checking. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tollgate-tls-reload");
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1, interval.toMillis());
        scheduler.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** One check; public for tests that do not want to wait for the interval. */
    public void check() {
        try {
            String now = stamps();
            if (now.equals(stamps)) {
                return;
            }
            List<byte[]> contents;
            try {
                contents = loader.read();
            } catch (IllegalArgumentException e) {
                // a file is missing for a moment (replaced by rename, or half-way through a deploy): retry next time
                log.warn("TLS certificate files changed but cannot be read yet: {}", e.getMessage());
                return;
            }
            stamps = now;
            byte[] h = hash(contents);
            if (Arrays.equals(h, hash) || Arrays.equals(h, failedHash)) {
                return;
            }
            try {
                KeyMaterial next = loader.parse(contents);
                keyManager.update(next);
                hash = h;
                failedHash = null;
                log.info("TLS certificate reloaded from {}: now {}", loader, next.describe());
            } catch (IllegalArgumentException e) {
                failedHash = h;
                log.error("TLS certificate files changed but the new content cannot be used; keeping {}: {}",
                        keyManager.current().describe(), e.getMessage());
            }
        } catch (RuntimeException e) {
            log.error("TLS certificate reload check failed", e);
        }
    }

    // modification time and size of every file; a missing file reads as "-"
    private String stamps() {
        StringBuilder sb = new StringBuilder();
        for (Path p : loader.files()) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                sb.append(a.lastModifiedTime().toMillis()).append('/').append(a.size()).append(';');
            } catch (IOException e) {
                sb.append("-;");
            }
        }
        return sb.toString();
    }

    private static byte[] hash(List<byte[]> contents) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] c : contents) {
                md.update(c);
                md.update((byte) 0);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
