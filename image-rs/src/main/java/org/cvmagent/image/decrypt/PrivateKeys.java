package org.cvmagent.image.decrypt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Layer decryption private keys (RSA or EC) as the owner keeps them in the KBS: a JWK, a JWK set,
 * or PEM {@code PRIVATE KEY} blocks (PKCS#8, what {@code openssl genpkey} writes). Held in memory
 * only; never logged.
 */
public final class PrivateKeys {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private final List<PrivateKey> keys;

    private PrivateKeys(List<PrivateKey> keys) {
        this.keys = List.copyOf(keys);
    }

    public static PrivateKeys none() {
        return new PrivateKeys(List.of());
    }

    public static PrivateKeys of(List<PrivateKey> keys) {
        return new PrivateKeys(keys);
    }

    public List<PrivateKey> keys() {
        return keys;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** @throws IllegalArgumentException naming what is wrong, never quoting the key */
    public static PrivateKeys parse(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8).strip();
        List<PrivateKey> keys = new ArrayList<>();
        if (text.startsWith("{")) {
            try {
                List<JWK> jwks = text.contains("\"keys\"") ? JWKSet.parse(text).getKeys() : List.of(JWK.parse(text));
                for (JWK jwk : jwks) {
                    keys.add(fromJwk(jwk));
                }
            } catch (ParseException | JOSEException e) {
                throw new IllegalArgumentException("decryption key is not a valid JWK or JWK set");
            }
        } else {
            Matcher m = PEM.matcher(text);
            while (m.find()) {
                if (!m.group(1).equals("PRIVATE KEY")) {
                    throw new IllegalArgumentException("decryption key PEM block \"" + m.group(1)
                            + "\" is not supported; use PKCS#8 (\"PRIVATE KEY\") or a JWK");
                }
                byte[] der;
                try {
                    der = Base64.getMimeDecoder().decode(m.group(2));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("decryption key PEM block is not base64");
                }
                keys.add(pkcs8(der));
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("decryption key holds no private key (a JWK, a JWK set or PEM PRIVATE KEY)");
        }
        return new PrivateKeys(keys);
    }

    private static PrivateKey fromJwk(JWK jwk) throws JOSEException {
        if (!jwk.isPrivate()) {
            throw new IllegalArgumentException("decryption key JWK " + jwk.getKeyID() + " has no private part");
        }
        return switch (jwk) {
            case RSAKey rsa -> rsa.toPrivateKey();
            case ECKey ec -> ec.toPrivateKey();
            default -> throw new IllegalArgumentException("decryption key JWK of type " + jwk.getKeyType()
                    + " is not supported (RSA or EC)");
        };
    }

    private static PrivateKey pkcs8(byte[] der) {
        for (String alg : List.of("RSA", "EC")) {
            try {
                PrivateKey k = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                if (k instanceof RSAPrivateKey || k instanceof ECPrivateKey) {
                    return k;
                }
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("decryption key PEM block is not an RSA or EC PKCS#8 private key");
    }

    @Override
    public String toString() {
        return "PrivateKeys[" + keys.size() + "]";
    }
}
