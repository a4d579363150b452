package org.cvmagent.image.signature;

import java.util.ArrayList;
import java.util.List;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Collects why each candidate signature failed, so that the final refusal reports the failure that
 * got furthest (a trusted signature for another identity says more than an untrusted one).
 */
final class SignatureAttempts {

    private final List<SignatureVerificationException> failures = new ArrayList<>();

    void failed(SignatureVerificationException failure) {
        failures.add(failure);
    }

    SignatureVerificationException refusal(String requirement) {
        if (failures.isEmpty()) {
            return new SignatureVerificationException(Reason.NO_SIGNATURE,
                    requirement + " requires a signature, but the image has none");
        }
        SignatureVerificationException best = failures.getFirst();
        for (SignatureVerificationException f : failures) {
            if (rank(f.reason()) > rank(best.reason())) {
                best = f;
            }
        }
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < failures.size(); i++) {
            all.append(i == 0 ? "" : "; ").append("signature ").append(i + 1).append(": ").append(failures.get(i).getMessage());
        }
        return new SignatureVerificationException(best.reason(),
                requirement + ": no signature accepted (" + all + ")", best);
    }

    private static int rank(Reason reason) {
        return switch (reason) {
            case IDENTITY_MISMATCH -> 6;
            case DIGEST_MISMATCH -> 5;
            case INVALID_SIGNATURE -> 4;
            case WRONG_KEY -> 3;
            // An unsupported or unreadable signature ranks lowest: it proves nothing about the image.
            default -> 1;
        };
    }
}
