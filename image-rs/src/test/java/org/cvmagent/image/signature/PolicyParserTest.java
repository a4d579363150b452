package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.junit.jupiter.api.Test;

class PolicyParserTest {

    private final PolicyParser parser = new PolicyParser();

    private Policy parse(String json) throws SignatureVerificationException {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private void assertInvalid(String json, String expectedInMessage) {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class, () -> parse(json));
        assertEquals(Reason.INVALID_POLICY, e.reason());
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
    }

    /** Each scope gets a distinct signedBy key path so the chosen scope can be told apart. */
    private static String keyed(String id) {
        return "[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/keys/" + id + "\"}]";
    }

    private static String chosen(Policy policy, String ref) {
        PolicyRequirement r = policy.requirementsFor(DockerReference.parse(ref)).requirements().getFirst();
        return r instanceof PolicyRequirement.SignedBy s ? s.keys().locations().getFirst() : r.getClass().getSimpleName();
    }

    @Test
    void mostSpecificScopeWins() throws Exception {
        Policy p = parse("""
                {"default": %s, "transports": {"docker": {
                  "reg.example.com/ns/app:v1": %s,
                  "reg.example.com/ns/app": %s,
                  "reg.example.com/ns": %s,
                  "reg.example.com": %s,
                  "*.example.com": %s,
                  "": %s
                }, "oci": {"": [{"type":"insecureAcceptAnything"}]}}}
                """.formatted(keyed("default"), keyed("tag"), keyed("repo"), keyed("ns"), keyed("host"),
                keyed("wildcard"), keyed("transport")));
        assertEquals("/keys/tag", chosen(p, "reg.example.com/ns/app:v1"));
        assertEquals("/keys/repo", chosen(p, "reg.example.com/ns/app:v2"));
        assertEquals("/keys/ns", chosen(p, "reg.example.com/ns/other:v1"));
        assertEquals("/keys/ns", chosen(p, "reg.example.com/ns/deeper/app:v1"));
        assertEquals("/keys/host", chosen(p, "reg.example.com/otherns/app:v1"));
        assertEquals("/keys/wildcard", chosen(p, "other.example.com/app:v1"));
        assertEquals("/keys/transport", chosen(p, "quay.io/app:v1"));
        // A different port is a different registry: only the wildcard (which ignores ports) applies.
        assertEquals("/keys/wildcard", chosen(p, "reg.example.com:5000/ns/app:v1"));
    }

    @Test
    void defaultAppliesWhenNoDockerScopeMatches() throws Exception {
        Policy p = parse("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"example.com\":"
                + keyed("x") + "}}}");
        assertInstanceOf(PolicyRequirement.Reject.class,
                p.requirementsFor(DockerReference.parse("quay.io/a:b")).requirements().getFirst());
        assertEquals("default", p.requirementsFor(DockerReference.parse("quay.io/a:b")).scope());
    }

    @Test
    void parsesEveryRequirementAndIdentityKind() throws Exception {
        Policy p = parse("""
                {"default": [
                  {"type": "insecureAcceptAnything"},
                  {"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/a", "kbs:///default/gpg/key"],
                   "signedIdentity": {"type": "matchExact"}},
                  {"type": "signedBy", "keyType": "GPGKeys", "keyData": "aGVsbG8=",
                   "signedIdentity": {"type": "remapIdentity", "prefix": "mirror.example.com/x", "signedPrefix": "example.com/y"}},
                  {"type": "sigstoreSigned", "keyPath": "/k.pub", "signedIdentity": {"type": "exactReference", "dockerReference": "example.com/a:b"}},
                  {"type": "sigstoreSigned", "keyDatas": ["aGVsbG8="], "signedIdentity": {"type": "exactRepository", "dockerRepository": "example.com/a"}},
                  {"type": "sigstoreSigned", "fulcio": {"caPath": "/ca.pem", "oidcIssuer": "https://issuer", "subjectEmail": "a@b"},
                   "rekorPublicKeyPath": "/rekor.pub", "signedIdentity": {"type": "matchRepository"}},
                  {"type": "reject"}
                ]}
                """);
        List<PolicyRequirement> reqs = p.defaultRequirements();
        assertEquals(7, reqs.size());
        PolicyRequirement.SignedBy first = assertInstanceOf(PolicyRequirement.SignedBy.class, reqs.get(1));
        assertEquals(List.of("/a", "kbs:///default/gpg/key"), first.keys().locations());
        assertInstanceOf(SignedIdentity.MatchExact.class, first.signedIdentity());
        assertInstanceOf(SignedIdentity.RemapIdentity.class, ((PolicyRequirement.SignedBy) reqs.get(2)).signedIdentity());
        PolicyRequirement.SigstoreSigned keyless = assertInstanceOf(PolicyRequirement.SigstoreSigned.class, reqs.get(5));
        assertTrue(keyless.fulcio().isPresent());
        // Without signedIdentity the default is matchRepoDigestOrExact.
        assertInstanceOf(SignedIdentity.MatchRepoDigestOrExact.class,
                ((PolicyRequirement.SignedBy) parse("{\"default\":" + keyed("a") + "}").defaultRequirements().getFirst())
                        .signedIdentity());
    }

    @Test
    void malformedPoliciesFailNamingTheField() {
        assertInvalid("not json", "not valid JSON");
        assertInvalid("{}", "\"default\"");
        assertInvalid("{\"default\":[]}", "must not be an empty list");
        assertInvalid("{\"default\":[{\"type\":\"reject\"}],\"extra\":1}", "unknown field \"extra\"");
        assertInvalid("{\"default\":[{\"type\":\"signedByX\"}]}", "\"signedByX\" is not a known requirement type");
        assertInvalid("{\"default\":[{\"type\":\"reject\",\"keyPath\":\"/x\"}]}", "unknown field \"keyPath\"");
        assertInvalid("{\"default\":[{\"type\":\"signedBy\",\"keyPath\":\"/x\"}]}", "\"keyType\"");
        assertInvalid("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyPath\":\"/x\"}]}",
                "keyType \"X509Certificates\" is not supported");
        assertInvalid("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}]}", "needs one of keyPath");
        assertInvalid("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/x\",\"keyData\":\"eA==\"}]}",
                "only one may be used");
        assertInvalid("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"relative\"}]}",
                "absolute path");
        assertInvalid("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"***\"}]}",
                "keyData is not valid base64");
        assertInvalid("{\"default\":" + keyed("a").replace("}]", ",\"signedIdentity\":{\"type\":\"matchAnything\"}}]") + "}",
                "\"matchAnything\" is not a known signedIdentity type");
        assertInvalid("{\"default\":" + keyed("a").replace("}]", ",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"busybox:1\"}}]") + "}",
                "not fully qualified");
        assertInvalid("{\"default\":" + keyed("a").replace("}]", ",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"example.com/a\"}}]") + "}",
                "neither tag nor digest");
        assertInvalid("{\"default\":" + keyed("a").replace("}]", ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"example.com/a:tag\",\"signedPrefix\":\"example.com\"}}]") + "}",
                "prefix");
        assertInvalid("{\"default\":[{\"type\":\"sigstoreSigned\"}]}", "exactly one of keyPath");
        assertInvalid("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\",\"fulcio\":{}}]}", "caPath or caData");
        assertInvalid("{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/c\",\"oidcIssuer\":\"i\",\"subjectEmail\":\"e\"}}]}",
                "rekorPublicKeyPath");
        assertInvalid("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"busybox\":[{\"type\":\"reject\"}]}}}",
                "not a valid docker scope");
        assertInvalid("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"example.com\":[{\"type\":\"nope\"}]}}}",
                "transports.docker[\"example.com\"][0].type");
        assertInvalid("{\"default\":[{\"type\":\"reject\"}],\"default\":[{\"type\":\"insecureAcceptAnything\"}]}", "Duplicate field");
    }
}
