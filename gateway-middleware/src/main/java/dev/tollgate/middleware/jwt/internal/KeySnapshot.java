package dev.tollgate.middleware.jwt.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One immutable generation of verification keys, each with its verifier built once, indexed by
 * {@code kid}. Only keys usable with an allowed algorithm are kept: an {@code oct} key never enters a
 * set whose algorithms are asymmetric, so HMAC with a public key cannot happen. Thread-safe.
 */
public final class KeySnapshot {

    private static final Logger log = LoggerFactory.getLogger(KeySnapshot.class);

    /** A key and its verifier. */
    public record Candidate(JWK jwk, JWSVerifier verifier) {
    }

    private final Map<String, List<Candidate>> byKid = new HashMap<>();
    private final List<Candidate> withoutKid = new ArrayList<>();
    private final List<Candidate> all = new ArrayList<>();
    private final Set<JWK> keys = new HashSet<>();

    private KeySnapshot(JWKSet set, Set<JWSAlgorithm> algorithms) {
        for (JWK jwk : set.getKeys()) {
            if (!usableWithAny(jwk, algorithms)) {
                continue;
            }
            JWSVerifier verifier;
            try {
                verifier = verifier(jwk);
            } catch (JOSEException | RuntimeException e) {
                log.warn("key {} is not usable: {}", jwk.getKeyID(), e.getMessage());
                continue;
            }
            Candidate c = new Candidate(jwk, verifier);
            all.add(c);
            keys.add(jwk);
            if (jwk.getKeyID() == null) {
                withoutKid.add(c);
            } else {
                byKid.computeIfAbsent(jwk.getKeyID(), k -> new ArrayList<>()).add(c);
            }
        }
    }

    /** The keys of {@code set} usable with one of {@code algorithms} (public parts only for asymmetric keys). */
    public static KeySnapshot of(JWKSet set, Set<JWSAlgorithm> algorithms) {
        return new KeySnapshot(set, algorithms);
    }

    /** How many usable keys. */
    public int size() {
        return all.size();
    }

    /** Whether {@code jwk} is still one of the keys. */
    public boolean contains(JWK jwk) {
        return keys.contains(jwk);
    }

    /** The key IDs, sorted, for logs and errors. */
    public Set<String> kids() {
        Set<String> kids = new TreeSet<>(byKid.keySet());
        if (!withoutKid.isEmpty()) {
            kids.add("(no kid)");
        }
        return kids;
    }

    /**
     * The keys that may have signed a token with {@code header}: those with its {@code kid} (plus keys
     * without one), or every key when the token names none, that fit its algorithm.
     */
    public List<Candidate> select(JWSHeader header) {
        JWSAlgorithm alg = header.getAlgorithm();
        String kid = header.getKeyID();
        List<Candidate> pool;
        if (kid == null) {
            pool = all;
        } else {
            List<Candidate> named = byKid.get(kid);
            if (named == null) {
                pool = withoutKid;
            } else if (withoutKid.isEmpty()) {
                pool = named;
            } else {
                pool = new ArrayList<>(named);
                pool.addAll(withoutKid);
            }
        }
        List<Candidate> out = null;
        for (Candidate c : pool) {
            if (usableWith(c.jwk(), alg)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(c);
            }
        }
        return out == null ? List.of() : out;
    }

    private static boolean usableWithAny(JWK jwk, Set<JWSAlgorithm> algorithms) {
        for (JWSAlgorithm alg : algorithms) {
            if (usableWith(jwk, alg)) {
                return true;
            }
        }
        return false;
    }

    static boolean usableWith(JWK jwk, JWSAlgorithm alg) {
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            return false;
        }
        if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(alg.getName())) {
            return false;
        }
        if (JWSAlgorithm.Family.RSA.contains(alg)) {
            return jwk instanceof RSAKey;
        }
        if (JWSAlgorithm.Family.EC.contains(alg)) {
            return jwk instanceof ECKey ec && Curve.forJWSAlgorithm(alg).contains(ec.getCurve());
        }
        if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
            return jwk instanceof OctetSequenceKey;
        }
        return false;
    }

    private static JWSVerifier verifier(JWK jwk) throws JOSEException {
        if (jwk instanceof RSAKey rsa) {
            return new RSASSAVerifier(rsa.toPublicJWK());
        }
        if (jwk instanceof ECKey ec) {
            return new ECDSAVerifier(ec.toPublicJWK());
        }
        return new MACVerifier((OctetSequenceKey) jwk);
    }
}
