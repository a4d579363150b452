package org.cvmagent.image.signature;

/**
 * A policy's {@code signedIdentity}: which {@code docker-reference} in a signature is acceptable
 * for the image being pulled. Semantics follow containers-policy.json(5).
 */
public sealed interface SignedIdentity {

    /**
     * @param image the reference the image is being pulled as
     * @param signed the identity the signature claims, normalised
     */
    boolean matches(DockerReference image, DockerReference signed);

    /** Human-readable form for error messages. */
    String describe();

    /** The default: a tagged pull needs the exact tag signed; a by-digest pull needs the same repository. */
    record MatchRepoDigestOrExact() implements SignedIdentity {
        @Override
        public boolean matches(DockerReference image, DockerReference signed) {
            return repoDigestOrExact(image, signed);
        }

        @Override
        public String describe() {
            return "matchRepoDigestOrExact";
        }
    }

    /** Both must carry a tag or digest, and be identical. */
    record MatchExact() implements SignedIdentity {
        @Override
        public boolean matches(DockerReference image, DockerReference signed) {
            return !image.isNameOnly() && !signed.isNameOnly() && image.toString().equals(signed.toString());
        }

        @Override
        public String describe() {
            return "matchExact";
        }
    }

    /** Same repository; tags and digests are not compared. */
    record MatchRepository() implements SignedIdentity {
        @Override
        public boolean matches(DockerReference image, DockerReference signed) {
            return image.name().equals(signed.name());
        }

        @Override
        public String describe() {
            return "matchRepository";
        }
    }

    /** The signature must name exactly {@code reference} (which has a tag or digest), whatever is pulled. */
    record ExactReference(DockerReference reference) implements SignedIdentity {
        public ExactReference {
            if (reference.isNameOnly()) {
                throw new IllegalArgumentException("dockerReference \"" + reference + "\" has neither tag nor digest");
            }
        }

        @Override
        public boolean matches(DockerReference image, DockerReference signed) {
            return !signed.isNameOnly() && signed.toString().equals(reference.toString());
        }

        @Override
        public String describe() {
            return "exactReference " + reference;
        }
    }

    /** The signature must name repository {@code repository}, whatever is pulled. */
    record ExactRepository(DockerReference repository) implements SignedIdentity {
        public ExactRepository {
            if (!repository.isNameOnly()) {
                throw new IllegalArgumentException("dockerRepository \"" + repository + "\" must not have a tag or digest");
            }
        }

        @Override
        public boolean matches(DockerReference image, DockerReference signed) {
            return signed.name().equals(repository.name());
        }

        @Override
        public String describe() {
            return "exactRepository " + repository;
        }
    }

    /**
     * Images pulled from under {@code prefix} are matched as if pulled from under
     * {@code signedPrefix} (a mirror of signed images), then as matchRepoDigestOrExact.
     */
    record RemapIdentity(String prefix, String signedPrefix) implements SignedIdentity {
        @Override
        public boolean matches(DockerReference image, DockerReference signed) {
            DockerReference remapped;
            try {
                remapped = remap(image);
            } catch (IllegalArgumentException e) {
                // The rewritten name is not a valid reference, so it cannot be the signed identity.
                return false;
            }
            return repoDigestOrExact(remapped, signed);
        }

        DockerReference remap(DockerReference image) {
            String text = image.toString();
            if (!hasPrefix(text, prefix)) {
                return image;
            }
            return DockerReference.parseFullyQualified(signedPrefix + text.substring(prefix.length()));
        }

        /**
         * The prefix must end at a component boundary. A ':' only counts as one when the prefix is
         * a repository (it then starts the tag); for a bare host it would let {@code example.com}
         * match {@code example.com:5000}, another registry.
         */
        private static boolean hasPrefix(String ref, String prefix) {
            if (!ref.startsWith(prefix)) {
                return false;
            }
            if (ref.length() == prefix.length()) {
                return true;
            }
            char next = ref.charAt(prefix.length());
            return next == '/' || next == '@' || (next == ':' && prefix.contains("/"));
        }

        @Override
        public String describe() {
            return "remapIdentity " + prefix + " -> " + signedPrefix;
        }
    }

    private static boolean repoDigestOrExact(DockerReference image, DockerReference signed) {
        if (image.tag().isPresent()) {
            return image.toString().equals(signed.toString());
        }
        if (image.digest().isPresent()) {
            // The manifest is checked against both the pulled digest and the signed digest
            // elsewhere, so only the repository is left to compare here.
            return image.name().equals(signed.name());
        }
        return false;
    }
}
