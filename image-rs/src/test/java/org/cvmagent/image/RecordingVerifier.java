package org.cvmagent.image;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;

/**
 * A test {@link ManifestVerifier} that records each call, with how many blob requests had been
 * made by then (to show verification comes before any layer is fetched), and rejects references
 * whose repository it was told to reject.
 */
final class RecordingVerifier implements ManifestVerifier {
    record Call(ImageReference reference, Digest digest, String mediaType, int blobGetsBefore) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final IntSupplier blobGets;
    private final String rejectRepository;

    RecordingVerifier(IntSupplier blobGets, String rejectRepository) {
        this.blobGets = blobGets;
        this.rejectRepository = rejectRepository;
    }

    @Override
    public void verify(ImageReference reference, byte[] manifest, String mediaType, Digest digest)
            throws ImageRejectedException {
        if (!Digest.sha256(manifest).equals(digest)) {
            throw new ImageRejectedException("digest does not match the manifest bytes");
        }
        calls.add(new Call(reference, digest, mediaType, blobGets.getAsInt()));
        if (reference.repository().equals(rejectRepository)) {
            throw new ImageRejectedException("repository " + rejectRepository + " is rejected by the test policy");
        }
    }

    List<Call> calls() {
        return calls;
    }
}
