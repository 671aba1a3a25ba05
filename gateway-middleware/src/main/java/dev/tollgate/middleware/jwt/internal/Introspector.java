package dev.tollgate.middleware.jwt.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks opaque tokens with an RFC 7662 introspection endpoint: a POST with HTTP Basic client
 * authentication, sent asynchronously with a timeout and a body cap. Answers are cached by the
 * token's SHA-256: an active token until its {@code exp} or the cache TTL, whichever is first; an
 * inactive one for the short negative TTL. Concurrent checks of one token share one call; at most
 * {@code maxConcurrent} calls are in flight, beyond that a request gets 503. An endpoint that fails,
 * times out or answers garbage gives 503 and is not cached (fails closed). Thread-safe;
 * {@link #authenticate} runs on the IO thread, responses are handled on the client's own two daemon
 * threads.
 */
public final class Introspector implements Authenticator, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Introspector.class);

    /** The endpoint, credentials and limits. */
    public record Settings(URI endpoint, String clientId, String clientSecret, Duration timeout, long maxBytes,
                           long cacheSize, Duration cacheTtl, Duration negativeTtl, int maxConcurrent,
                           int maxTokenLength, Duration clockSkew) {
    }

    private record Entry(Outcome outcome, long untilMillis) {
    }

    private final Settings settings;
    private final String authorization;
    private final ExecutorService threads;
    private final HttpClient client;
    private final Cache<TokenKey, Entry> cache;
    private final ConcurrentHashMap<TokenKey, CompletableFuture<Outcome>> inFlight = new ConcurrentHashMap<>();

    public Introspector(Settings settings) {
        this.settings = settings;
        // RFC 6749 2.3.1: the id and secret are form-encoded before they are joined
        String credentials = form(settings.clientId()) + ":" + form(settings.clientSecret());
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "tollgate-introspection-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(threads)
                .build();
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .executor(Runnable::run)
                .expireAfter(Expiry.creating((TokenKey k, Entry e) ->
                        Duration.ofMillis(Math.max(0, e.untilMillis() - System.currentTimeMillis()))))
                .build();
    }

    private static String form(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public Outcome authenticate(String token) {
        String malformed = Bearer.precheckOpaque(token, settings.maxTokenLength());
        if (malformed != null) {
            return Bearer.invalidToken(malformed);
        }
        TokenKey key = TokenKey.of(token);
        Entry cached = cache.getIfPresent(key);
        if (cached != null && System.currentTimeMillis() < cached.untilMillis()) {
            return cached.outcome();
        }
        CompletableFuture<Outcome> running = inFlight.get(key);
        if (running != null) {
            return new Outcome.Pending(running);
        }
        if (inFlight.size() >= settings.maxConcurrent()) {
            return Bearer.unavailable("too many token introspections in flight");
        }
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        running = inFlight.putIfAbsent(key, result);
        if (running != null) {
            return new Outcome.Pending(running);
        }
        HttpRequest request = HttpRequest.newBuilder(settings.endpoint())
                .timeout(settings.timeout())
                .header("Authorization", authorization)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + form(token) + "&token_type_hint=access_token"))
                .build();
        try {
            client.sendAsync(request, LimitedBody.handler(settings.maxBytes()))
                    // the JDK completes on its default async pool (a new thread per task on two cores): hop to ours
                    .whenCompleteAsync((response, error) -> complete(key, result, interpret(key, response, error)), threads);
        } catch (RuntimeException e) {
            complete(key, result, Bearer.unavailable("the token introspection endpoint could not be called"));
        }
        return new Outcome.Pending(result);
    }

    private void complete(TokenKey key, CompletableFuture<Outcome> result, Outcome outcome) {
        inFlight.remove(key, result);
        result.complete(outcome);
    }

    private Outcome interpret(TokenKey key, HttpResponse<byte[]> response, Throwable error) {
        if (error != null) {
            log.warn("token introspection at {} failed: {}", settings.endpoint(), error.toString());
            return Bearer.unavailable("the token introspection endpoint could not be reached");
        }
        if (response.statusCode() != 200) {
            log.warn("token introspection at {} answered {}", settings.endpoint(), response.statusCode());
            return Bearer.unavailable("the token introspection endpoint answered " + response.statusCode());
        }
        Map<String, Object> answer;
        try {
            answer = JSONObjectUtils.parse(new String(response.body(), StandardCharsets.UTF_8));
        } catch (java.text.ParseException | RuntimeException | StackOverflowError e) {
            log.warn("token introspection at {} answered with something that is not a JSON object", settings.endpoint());
            return Bearer.unavailable("the token introspection endpoint answered garbage");
        }
        Object active = answer.get("active");
        if (!(active instanceof Boolean)) {
            log.warn("token introspection at {} answered without a boolean 'active'", settings.endpoint());
            return Bearer.unavailable("the token introspection endpoint answered garbage");
        }
        long now = System.currentTimeMillis();
        long skew = settings.clockSkew().toMillis();
        long exp = Claims.epochMillis(answer.get("exp"));
        long nbf = Claims.epochMillis(answer.get("nbf"));
        if (!(Boolean) active || (exp != Long.MIN_VALUE && exp + skew <= now)) {
            Outcome denied = Bearer.invalidToken("the token is not active");
            cache.put(key, new Entry(denied, now + settings.negativeTtl().toMillis()));
            return denied;
        }
        if (nbf != Long.MIN_VALUE && nbf - skew > now) {
            return Bearer.invalidToken("the token is not valid yet");
        }
        Outcome granted = new Outcome.Granted(Claims.principal(answer));
        long until = Math.min(now + settings.cacheTtl().toMillis(), exp == Long.MIN_VALUE ? Long.MAX_VALUE : exp);
        if (until > now) {
            cache.put(key, new Entry(granted, until));
        }
        return granted;
    }

    /** Stops the client's threads and drops the caches; checks still in flight are answered 503. */
    @Override
    public void close() {
        if (client instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("closing the introspection client failed", e);
            }
        }
        threads.shutdownNow();
        for (Map.Entry<TokenKey, CompletableFuture<Outcome>> e : inFlight.entrySet()) {
            complete(e.getKey(), e.getValue(), Bearer.unavailable("the gateway is stopping"));
        }
        cache.invalidateAll();
    }
}
