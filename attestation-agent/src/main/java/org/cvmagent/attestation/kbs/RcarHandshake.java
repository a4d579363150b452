package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.System.Logger.Level;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.Optional;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;

/**
 * The Request-Challenge-Attestation-Response handshake of Trustee's KBS protocol:
 * {@code POST /auth} for a nonce and the session cookie, a fresh TEE key pair, evidence over the
 * hash binding nonce and key, {@code POST /attest} for the token. Transport failures repeat the
 * whole handshake per the retry policy; a refusal ends it at once.
 */
final class RcarHandshake {
    /** The protocol version Trustee's KBS accepts ({@code =0.4.0}). */
    static final String PROTOCOL_VERSION = "0.4.0";
    /** RFC 6265 cookie-octets: the value is echoed in a request header. */
    private static final String COOKIE_OCTETS = "[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]+";
    private static final System.Logger LOG = System.getLogger(RcarHandshake.class.getName());

    private final KbsTransport transport;
    private final Attester attester;
    private final ObjectMapper json;
    private final Optional<String> initDataToml;

    RcarHandshake(KbsTransport transport, Attester attester, ObjectMapper json, Optional<String> initDataToml) {
        this.transport = Objects.requireNonNull(transport);
        this.attester = Objects.requireNonNull(attester);
        this.json = Objects.requireNonNull(json);
        this.initDataToml = Objects.requireNonNull(initDataToml);
    }

    AttestedSession run() throws KbsException {
        for (int attempt = 1; ; attempt++) {
            try {
                return once();
            } catch (KbsException e) {
                if (e.kind() != KbsException.Kind.TRANSPORT || attempt >= transport.retry().maxAttempts()) {
                    throw e;
                }
                LOG.log(Level.WARNING, "KBS handshake attempt {0} failed: {1}", attempt, e.getMessage());
                transport.pause(attempt);
            }
        }
    }

    private AttestedSession once() throws KbsException {
        HttpResponse<String> auth = transport.post("/auth", request(), Optional.empty());
        requireOk("POST /auth", auth);
        String cookie = sessionCookie(auth);
        JsonNode challenge = transport.object(auth.body(), "the /auth challenge");
        JsonNode nonce = challenge.get("nonce");
        if (nonce == null || !nonce.isTextual() || nonce.textValue().isEmpty()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the /auth challenge has no nonce");
        }
        HashAlgorithm hash = selectedHash(challenge.get("extra-params"));

        TeeKeyPair key = TeeKeyPair.generate(transport.config().teeKeyAlgorithm());
        ObjectNode runtimeData = json.createObjectNode();
        runtimeData.put("nonce", nonce.textValue());
        runtimeData.set("tee-pubkey", key.publicJwk(json));
        // No secondary devices are attested, so the additional evidence is the empty string.
        String additionalEvidence = "";
        JsonNode evidence = evidence(hash, runtimeData, additionalEvidence);

        HttpResponse<String> attest = transport.post("/attest", attestation(runtimeData, evidence, additionalEvidence),
                Optional.of(cookie));
        requireOk("POST /attest", attest);
        JsonNode token = transport.object(attest.body(), "the /attest response").get("token");
        if (token == null || !token.isTextual()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the /attest response has no token");
        }
        AttestationToken parsed = AttestationToken.parse(token.textValue());
        LOG.log(Level.INFO, "attested to KBS {0} as {1} ({2} key, token expires {3})", transport.config().authority(),
                attester.tee(), key.algorithm().configName(), parsed.expiry().map(Object::toString).orElse("never"));
        return new AttestedSession(cookie, parsed, key);
    }

    private ObjectNode request() {
        ObjectNode request = json.createObjectNode();
        request.put("version", PROTOCOL_VERSION);
        request.put("tee", attester.tee().wireName());
        ArrayNode supported = request.putObject("extra-params").putArray("supported-hash-algorithms");
        for (HashAlgorithm h : HashAlgorithm.values()) {
            supported.add(h.wireName());
        }
        return request;
    }

    /**
     * Evidence whose report data is the hash of the canonical {tee-pubkey, nonce,
     * additional-evidence}: the primary runtime data Trustee's KBS rebuilds and hashes.
     */
    private JsonNode evidence(HashAlgorithm hash, ObjectNode runtimeData, String additionalEvidence) throws KbsException {
        ObjectNode bound = runtimeData.deepCopy();
        bound.put("additional-evidence", additionalEvidence);
        byte[] reportData = hash.digest(CanonicalJson.bytes(bound));
        try {
            byte[] input = attester.kbsEvidenceInput(runtimeData.get("nonce").textValue(), reportData);
            return transport.object(attester.evidence(input), "the " + attester.tee() + " evidence");
        } catch (AttesterException e) {
            throw new KbsException(KbsException.Kind.EVIDENCE, "the " + attester.tee() + " attester failed: " + e.getMessage(), e);
        }
    }

    private ObjectNode attestation(ObjectNode runtimeData, JsonNode evidence, String additionalEvidence) {
        ObjectNode attestation = json.createObjectNode();
        if (initDataToml.isPresent()) {
            ObjectNode initData = attestation.putObject("init-data");
            initData.put("format", "toml");
            initData.put("body", initDataToml.get());
        } else {
            attestation.putNull("init-data");
        }
        attestation.set("runtime-data", runtimeData);
        ObjectNode teeEvidence = attestation.putObject("tee-evidence");
        teeEvidence.set("primary_evidence", evidence);
        teeEvidence.put("additional_evidence", additionalEvidence);
        return attestation;
    }

    private HashAlgorithm selectedHash(JsonNode extraParams) throws KbsException {
        // Trustee's KBS sends "" here; only a challenge that names an algorithm changes the default.
        JsonNode selected = extraParams == null ? null : extraParams.get("selected-hash-algorithm");
        if (selected == null || selected.isNull()) {
            return HashAlgorithm.DEFAULT;
        }
        if (!selected.isTextual()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the challenge's selected-hash-algorithm is not a string");
        }
        return HashAlgorithm.fromWireName(selected.textValue()).orElseThrow(() -> new KbsException(
                KbsException.Kind.PROTOCOL, "the KBS selected hash algorithm '" + KbsTransport.truncate(selected.textValue())
                        + "', which this client did not offer"));
    }

    /** 200 passes; any other status (5xx was already a transport failure) is a refusal. */
    private void requireOk(String what, HttpResponse<String> response) throws KbsException {
        if (response.statusCode() != 200) {
            throw new KbsException(KbsException.Kind.ATTESTATION_REJECTED, what + ": KBS answered " + response.statusCode()
                    + ": " + transport.problem(response));
        }
    }

    private static String sessionCookie(HttpResponse<String> response) throws KbsException {
        for (String header : response.headers().allValues("Set-Cookie")) {
            String pair = header.split(";", 2)[0].trim();
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equals(KbsTransport.SESSION_COOKIE)) {
                String value = pair.substring(eq + 1).trim();
                if (value.matches(COOKIE_OCTETS)) {
                    return value;
                }
                throw new KbsException(KbsException.Kind.PROTOCOL, "the /auth response's " + KbsTransport.SESSION_COOKIE
                        + " cookie is not a valid cookie value");
            }
        }
        throw new KbsException(KbsException.Kind.PROTOCOL, "the /auth response sets no " + KbsTransport.SESSION_COOKIE + " cookie");
    }
}
