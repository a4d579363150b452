package org.cvmagent.image.signature;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses containers-policy.json. Anything unknown or malformed — a field, a requirement type, a
 * key type, a scope — is an error naming where it is, never a default: the policy is the only
 * thing standing between an unsigned image and the confidential VM.
 */
public final class PolicyParser {

    private final ObjectMapper json = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public Policy parse(byte[] policyJson) throws SignatureVerificationException {
        JsonNode root;
        try {
            root = json.readTree(policyJson);
        } catch (IOException e) {
            throw SignatureVerificationException.invalidPolicy("policy is not valid JSON: " + e.getMessage());
        }
        JsonFields top = new JsonFields(root, "policy", Set.of("default", "transports"));
        if (!top.has("default")) {
            throw SignatureVerificationException.invalidPolicy("policy is missing required field \"default\"");
        }
        List<PolicyRequirement> defaults = requirements(top.raw("default"), "default");
        Map<String, List<PolicyRequirement>> docker = new HashMap<>();
        JsonNode transports = top.raw("transports");
        if (transports != null) {
            if (!transports.isObject()) {
                throw SignatureVerificationException.invalidPolicy("transports must be a JSON object");
            }
            for (Map.Entry<String, JsonNode> transport : transports.properties()) {
                Map<String, List<PolicyRequirement>> scopes =
                        scopes(transport.getKey(), transport.getValue());
                if (transport.getKey().equals("docker")) {
                    docker = scopes;
                }
            }
        }
        return new Policy(defaults, docker);
    }

    private Map<String, List<PolicyRequirement>> scopes(String transport, JsonNode node)
            throws SignatureVerificationException {
        String where = "transports." + transport;
        if (!node.isObject()) {
            throw SignatureVerificationException.invalidPolicy(where + " must be a JSON object");
        }
        Map<String, List<PolicyRequirement>> out = new HashMap<>();
        for (Map.Entry<String, JsonNode> scope : node.properties()) {
            String scopeWhere = where + "[\"" + scope.getKey() + "\"]";
            if (transport.equals("docker") && !scope.getKey().isEmpty() && !DockerReference.isValidScope(scope.getKey())) {
                throw SignatureVerificationException.invalidPolicy(scopeWhere
                        + " is not a valid docker scope (expected host[:port][/namespace...][/repo][:tag|@digest] or *.domain)");
            }
            out.put(scope.getKey(), requirements(scope.getValue(), scopeWhere));
        }
        return out;
    }

    private List<PolicyRequirement> requirements(JsonNode node, String where) throws SignatureVerificationException {
        if (node == null || !node.isArray()) {
            throw SignatureVerificationException.invalidPolicy(where + " must be an array of requirements");
        }
        if (node.isEmpty()) {
            throw SignatureVerificationException.invalidPolicy(where + " must not be an empty list of requirements");
        }
        List<PolicyRequirement> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            out.add(requirement(node.get(i), where + "[" + i + "]"));
        }
        return out;
    }

    private PolicyRequirement requirement(JsonNode node, String where) throws SignatureVerificationException {
        if (node == null || !node.isObject() || !node.path("type").isTextual()) {
            throw SignatureVerificationException.invalidPolicy(where + " must be an object with a string \"type\"");
        }
        String type = node.get("type").asText();
        String at = where + " (" + type + ")";
        return switch (type) {
            case "insecureAcceptAnything" -> {
                new JsonFields(node, at, Set.of("type"));
                yield new PolicyRequirement.InsecureAcceptAnything();
            }
            case "reject" -> {
                new JsonFields(node, at, Set.of("type"));
                yield new PolicyRequirement.Reject();
            }
            case "signedBy" -> signedBy(node, at);
            case "sigstoreSigned" -> sigstoreSigned(node, at);
            default -> throw SignatureVerificationException.invalidPolicy(
                    where + ".type \"" + type + "\" is not a known requirement type");
        };
    }

    private PolicyRequirement signedBy(JsonNode node, String where) throws SignatureVerificationException {
        JsonFields f = new JsonFields(node, where, Set.of("type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"));
        String keyType = f.requiredString("keyType");
        if (!keyType.equals("GPGKeys")) {
            throw SignatureVerificationException.invalidPolicy(
                    f.where("keyType") + " \"" + keyType + "\" is not supported (only GPGKeys)");
        }
        KeySource keys = keySource(f, where, "keyPath", "keyPaths", "keyData", null)
                .orElseThrow(() -> SignatureVerificationException.invalidPolicy(
                        where + " needs one of keyPath, keyPaths or keyData"));
        return new PolicyRequirement.SignedBy(keys, signedIdentity(f));
    }

    private PolicyRequirement sigstoreSigned(JsonNode node, String where) throws SignatureVerificationException {
        JsonFields f = new JsonFields(node, where, Set.of("type", "keyPath", "keyPaths", "keyData", "keyDatas",
                "fulcio", "rekorPublicKeyPath", "rekorPublicKeyData", "signedIdentity", "trustedRootPath",
                "trustedRootData"));
        Optional<KeySource> keys = keySource(f, where, "keyPath", "keyPaths", "keyData", "keyDatas");
        // Ours: a Sigstore trusted_root.json (Fulcio CAs, Rekor keys, timestamp authorities) for bundles.
        Optional<KeySource> trustedRoot = keySource(f, where, "trustedRootPath", null, "trustedRootData", null);
        Optional<PolicyRequirement.FulcioConfig> fulcio = Optional.empty();
        if (f.has("fulcio")) {
            fulcio = Optional.of(fulcio(f.raw("fulcio"), f.where("fulcio"), trustedRoot.isPresent()));
        }
        if (keys.isPresent() == fulcio.isPresent()) {
            throw SignatureVerificationException.invalidPolicy(
                    where + " needs exactly one of keyPath, keyPaths, keyData, keyDatas or fulcio");
        }
        Optional<KeySource> rekor = keySource(f, where, "rekorPublicKeyPath", null, "rekorPublicKeyData", null);
        if (fulcio.isPresent() && rekor.isEmpty() && trustedRoot.isEmpty()) {
            throw SignatureVerificationException.invalidPolicy(
                    where + " with fulcio needs rekorPublicKeyPath, rekorPublicKeyData or a trusted root");
        }
        return new PolicyRequirement.SigstoreSigned(keys, fulcio, rekor, signedIdentity(f), trustedRoot);
    }

    private PolicyRequirement.FulcioConfig fulcio(JsonNode node, String where, boolean trustedRoot)
            throws SignatureVerificationException {
        JsonFields f = new JsonFields(node, where, Set.of("caPath", "caData", "oidcIssuer", "subjectEmail", "subject"));
        Optional<KeySource> ca = keySource(f, where, "caPath", null, "caData", null);
        if (ca.isEmpty() && !trustedRoot) {
            throw SignatureVerificationException.invalidPolicy(where + " needs caPath or caData (or a trustedRootPath)");
        }
        Optional<String> email = f.optionalString("subjectEmail");
        Optional<String> subject = f.optionalString("subject");
        if (email.isPresent() == subject.isPresent()) {
            throw SignatureVerificationException.invalidPolicy(where + " needs exactly one of subjectEmail and subject");
        }
        return new PolicyRequirement.FulcioConfig(ca, f.requiredString("oidcIssuer"), email.orElse(null), subject);
    }

    /** At most one of the named fields may be set; null names a form this requirement does not have. */
    private static Optional<KeySource> keySource(JsonFields f, String where, String path, String paths,
            String data, String datas) throws SignatureVerificationException {
        List<String> present = new ArrayList<>();
        for (String name : new String[] {path, paths, data, datas}) {
            if (name != null && f.has(name)) {
                present.add(name);
            }
        }
        if (present.size() > 1) {
            throw SignatureVerificationException.invalidPolicy(
                    where + " sets " + String.join(" and ", present) + "; only one may be used");
        }
        if (present.isEmpty()) {
            return Optional.empty();
        }
        String name = present.getFirst();
        if (name.equals(path)) {
            String location = f.requiredString(path);
            checkLocation(location, f.where(path));
            return Optional.of(KeySource.ofLocations(List.of(location)));
        }
        if (name.equals(paths)) {
            List<String> locations = f.optionalStringList(paths).orElseThrow();
            for (String location : locations) {
                checkLocation(location, f.where(paths));
            }
            return Optional.of(KeySource.ofLocations(locations));
        }
        if (name.equals(data)) {
            return Optional.of(KeySource.ofData(List.of(f.optionalBase64(data).orElseThrow())));
        }
        return Optional.of(KeySource.ofData(f.optionalBase64List(datas).orElseThrow()));
    }

    private static void checkLocation(String location, String where) throws SignatureVerificationException {
        if (KbsResourceUri.isKbs(location)) {
            try {
                KbsResourceUri.parse(location);
            } catch (IllegalArgumentException e) {
                throw SignatureVerificationException.invalidPolicy(where + ": " + e.getMessage());
            }
        } else if (!location.startsWith("/")) {
            throw SignatureVerificationException.invalidPolicy(
                    where + " \"" + location + "\" must be an absolute path or a kbs:/// URI");
        }
    }

    private SignedIdentity signedIdentity(JsonFields parent) throws SignatureVerificationException {
        JsonNode node = parent.raw("signedIdentity");
        if (node == null) {
            return new SignedIdentity.MatchRepoDigestOrExact();
        }
        String where = parent.where("signedIdentity");
        if (!node.isObject() || !node.path("type").isTextual()) {
            throw SignatureVerificationException.invalidPolicy(where + " must be an object with a string \"type\"");
        }
        String type = node.get("type").asText();
        try {
            return switch (type) {
                case "matchRepoDigestOrExact" -> {
                    new JsonFields(node, where, Set.of("type"));
                    yield new SignedIdentity.MatchRepoDigestOrExact();
                }
                case "matchRepository" -> {
                    new JsonFields(node, where, Set.of("type"));
                    yield new SignedIdentity.MatchRepository();
                }
                case "matchExact" -> {
                    new JsonFields(node, where, Set.of("type"));
                    yield new SignedIdentity.MatchExact();
                }
                case "exactReference" -> {
                    JsonFields f = new JsonFields(node, where, Set.of("type", "dockerReference"));
                    yield new SignedIdentity.ExactReference(
                            DockerReference.parseFullyQualified(f.requiredString("dockerReference")));
                }
                case "exactRepository" -> {
                    JsonFields f = new JsonFields(node, where, Set.of("type", "dockerRepository"));
                    yield new SignedIdentity.ExactRepository(
                            DockerReference.parseFullyQualified(f.requiredString("dockerRepository")));
                }
                case "remapIdentity" -> {
                    JsonFields f = new JsonFields(node, where, Set.of("type", "prefix", "signedPrefix"));
                    String prefix = remapPrefix(f, "prefix");
                    String signedPrefix = remapPrefix(f, "signedPrefix");
                    yield new SignedIdentity.RemapIdentity(prefix, signedPrefix);
                }
                default -> throw SignatureVerificationException.invalidPolicy(
                        where + ".type \"" + type + "\" is not a known signedIdentity type");
            };
        } catch (IllegalArgumentException e) {
            throw SignatureVerificationException.invalidPolicy(where + " (" + type + "): " + e.getMessage());
        }
    }

    /** A host, or a host and repository path prefix; never a tag, digest or wildcard. */
    private static String remapPrefix(JsonFields f, String field) throws SignatureVerificationException {
        String value = f.requiredString(field);
        if (value.startsWith("*.") || value.contains("@") || !DockerReference.isValidScope(value)
                || (value.contains("/") && value.lastIndexOf(':') > value.indexOf('/'))) {
            throw SignatureVerificationException.invalidPolicy(
                    f.where(field) + " \"" + value + "\" must be a host[:port] or host[:port]/path prefix");
        }
        return value;
    }
}
