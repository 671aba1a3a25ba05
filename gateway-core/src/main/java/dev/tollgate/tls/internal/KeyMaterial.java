package dev.tollgate.tls.internal;

import dev.tollgate.tls.Tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509KeyManager;

/**
 * A private key and its certificate chain (leaf first), checked to belong together. Immutable.
 */
public final class KeyMaterial {

    // the password of the in-memory keystores a key manager is made from; never leaves this process
    private static final char[] MEMORY_PASSWORD = "tollgate".toCharArray();

    private final PrivateKey key;
    private final X509Certificate[] chain;

    private KeyMaterial(PrivateKey key, X509Certificate[] chain) {
        this.key = key;
        this.chain = chain;
    }

    public X509Certificate[] chain() {
        return chain.clone();
    }

    /** The leaf's subject and serial number, for logs. */
    public String describe() {
        return chain[0].getSubjectX500Principal().getName() + " (serial " + chain[0].getSerialNumber().toString(16) + ")";
    }

    /** A key manager that presents {@code material} under {@code alias}. */
    public static X509KeyManager keyManager(KeyMaterial material, String alias) {
        return material.keyManager(alias);
    }

    /** A key manager that presents this material under {@code alias}. */
    X509KeyManager keyManager(String alias) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, key, MEMORY_PASSWORD, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(store, MEMORY_PASSWORD);
            return (X509KeyManager) kmf.getKeyManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("could not build a key manager: " + e.getMessage(), e);
        }
    }

    /** Reads a set of files and turns their content into key material; used at build time and by the reloader. */
    public static final class Loader {
        private final List<Path> files;
        private final List<String> names;
        private final Function<List<byte[]>, KeyMaterial> parse;

        Loader(List<Path> files, List<String> names, Function<List<byte[]>, KeyMaterial> parse) {
            this.files = files;
            this.names = names;
            this.parse = parse;
        }

        /** The files the material comes from (watched for changes). */
        public List<Path> files() {
            return files;
        }

        /** Reads every file now. Blocking file IO: never on an IO thread. @throws IllegalArgumentException naming the problem */
        public KeyMaterial load() {
            return parse(read());
        }

        /** The content of every file, in {@link #files()} order. @throws IllegalArgumentException if one cannot be read */
        public List<byte[]> read() {
            List<byte[]> contents = new ArrayList<>(files.size());
            for (int i = 0; i < files.size(); i++) {
                contents.add(readFile(names.get(i), files.get(i)));
            }
            return contents;
        }

        /** Parses contents read from {@link #files()}. @throws IllegalArgumentException naming the problem */
        public KeyMaterial parse(List<byte[]> contents) {
            return parse.apply(contents);
        }

        @Override
        public String toString() {
            return files.toString();
        }
    }

    /** The loader of a listener's certificate. */
    public static Loader loader(Tls tls) {
        if (tls.keyStoreFile().isPresent()) {
            return pkcs12("tls.keyStoreFile", tls.keyStoreFile().get(), tls.keyStorePassword());
        }
        return pem("tls.certificateFile", tls.certificateFile().orElseThrow(), "tls.privateKeyFile", tls.privateKeyFile().orElseThrow());
    }

    /** A loader of a PEM certificate (chain) and key. */
    public static Loader pem(String certName, Path certFile, String keyName, Path keyFile) {
        String certWhat = certName + " " + certFile;
        String keyWhat = keyName + " " + keyFile;
        return new Loader(List.of(certFile, keyFile), List.of(certName, keyName), contents -> {
            List<X509Certificate> certs = Pem.certificates(contents.get(0), certWhat);
            PrivateKey key = Pem.privateKey(contents.get(1), keyWhat);
            checkMatch(key, certs.get(0).getPublicKey(), "the private key in " + keyFile + " does not match the certificate in "
                    + certFile + " (expected: the key the certificate was issued for)");
            return new KeyMaterial(key, certs.toArray(new X509Certificate[0]));
        });
    }

    /** A loader of the first private key entry of a PKCS#12 keystore. */
    public static Loader pkcs12(String name, Path file, char[] password) {
        String what = name + " " + file;
        char[] pw = password.clone();
        return new Loader(List.of(file), List.of(name), contents -> {
            KeyStore store = keyStore(contents.get(0), pw, what);
            try {
                for (String alias : Collections.list(store.aliases())) {
                    if (!store.isKeyEntry(alias)) {
                        continue;
                    }
                    Key key = store.getKey(alias, pw);
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (key instanceof PrivateKey pk && chain != null && chain.length > 0) {
                        X509Certificate[] x509 = Arrays.copyOf(chain, chain.length, X509Certificate[].class);
                        checkMatch(pk, x509[0].getPublicKey(), what + ": the key of entry '" + alias + "' does not match its certificate");
                        return new KeyMaterial(pk, x509);
                    }
                }
            } catch (UnrecoverableKeyException e) {
                throw new IllegalArgumentException(what + ": the key's password is not the keystore's (expected: one password for both)");
            } catch (GeneralSecurityException | ArrayStoreException e) {
                throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
            }
            throw new IllegalArgumentException(what + ": no private key entry with a certificate (expected: a keystore made with a key and its certificate)");
        });
    }

    /** The certificates a trust store file holds: PEM (any number of certificates) or PKCS#12 (its trusted entries). */
    public static List<X509Certificate> trustedCertificates(String name, Path file, char[] password) {
        String what = name + " " + file;
        byte[] content = readFile(name, file);
        if (password == null) {
            return Pem.certificates(content, what);
        }
        KeyStore store = keyStore(content, password, what);
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (String alias : Collections.list(store.aliases())) {
                Certificate c = store.getCertificate(alias);
                if (c instanceof X509Certificate x) {
                    out.add(x);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(what + ": no certificate in the keystore");
        }
        return out;
    }

    private static KeyStore keyStore(byte[] content, char[] password, String what) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(content), password);
            return store;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException(what + ": wrong password for the keystore");
            }
            throw new IllegalArgumentException(what + ": not a readable PKCS#12 keystore (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": not a readable PKCS#12 keystore (" + e.getMessage() + ")", e);
        }
    }

    static byte[] readFile(String name, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(name + ": " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(name + ": " + file + " cannot be read (permission denied)");
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": " + file + " cannot be read (" + e + ")", e);
        }
    }

    /** Signs with the private key and verifies with the certificate's public key: works for RSA and EC alike. */
    private static void checkMatch(PrivateKey key, PublicKey publicKey, String message) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            throw new IllegalArgumentException(message);
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> "SHA256withRSA";
        };
        try {
            byte[] probe = "tollgate key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            if (algorithm.equals("RSASSA-PSS")) {
                signer.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            signer.initVerify(publicKey);
            signer.update(probe);
            if (!signer.verify(signature)) {
                throw new IllegalArgumentException(message);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(message + ": " + e.getMessage(), e);
        }
    }

    /** @throws IllegalArgumentException naming a suite this JDK does not support */
    public static void checkCipherSuites(String name, List<String> suites) {
        if (suites.isEmpty()) {
            return;
        }
        Set<String> supported;
        try {
            supported = Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS is not available in this JDK", e);
        }
        for (String s : suites) {
            if (!supported.contains(s)) {
                throw new IllegalArgumentException(name + ": '" + s + "' is not a cipher suite this JDK supports");
            }
        }
    }
}
