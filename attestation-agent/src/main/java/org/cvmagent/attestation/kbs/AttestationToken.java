package org.cvmagent.attestation.kbs;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

/**
 * The attestation results token the KBS returns from {@code /attest}. Its signature is the KBS's
 * business (the guest has no trust anchor for it); the guest reads only {@code exp} to know how
 * long it may reuse it. {@link #toString()} never shows the token.
 */
public final class AttestationToken {
    /** A token this close to expiry is renewed rather than risk it expiring in flight. */
    static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);

    private final String value;
    private final Optional<Instant> expiry;

    private AttestationToken(String value, Optional<Instant> expiry) {
        this.value = value;
        this.expiry = expiry;
    }

    public static AttestationToken parse(String jwt) throws KbsException {
        if (jwt == null || jwt.isBlank()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the KBS returned an empty attestation token");
        }
        try {
            JWTClaimsSet claims = JWTParser.parse(jwt).getJWTClaimsSet();
            Date exp = claims.getExpirationTime();
            return new AttestationToken(jwt, Optional.ofNullable(exp).map(Date::toInstant));
        } catch (ParseException e) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the KBS attestation token is not a JWT: " + e.getMessage(), e);
        }
    }

    /** The serialized JWT, for an Authorization header or the AA's GetToken; a credential. */
    public String value() {
        return value;
    }

    public Optional<Instant> expiry() {
        return expiry;
    }

    /**
     * Whether the token may still be reused at {@code now}. A token without {@code exp} is not
     * reused: its lifetime is unknown, so each use attests afresh.
     */
    public boolean reusableAt(Instant now) {
        return expiry.map(exp -> now.plus(EXPIRY_MARGIN).isBefore(exp)).orElse(false);
    }

    @Override
    public String toString() {
        return "AttestationToken[exp=" + expiry.map(Instant::toString).orElse("none") + "]";
    }
}
