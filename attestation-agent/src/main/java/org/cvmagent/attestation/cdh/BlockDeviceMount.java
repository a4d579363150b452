package org.cvmagent.attestation.cdh;

import java.util.Optional;

/**
 * A {@code block-device} SecureMount request after its options were checked ({@link SecureMountOptions}).
 *
 * @param deviceId   {@code MAJ:MIN} of the disk, if the request named one (it wins over the path, as
 *                   in guest-components)
 * @param devicePath {@code /dev/NAME}, if the request named one
 * @param key        where the volume key comes from
 * @param source     what the requester says the disk holds; the disk itself decides, this only
 *                   refuses a mismatch that would lose data
 * @param mountPoint where the file system goes
 */
public record BlockDeviceMount(Optional<String> deviceId, Optional<String> devicePath, KeySource key,
                               Source source, String mountPoint) {

    /** What the requester expects on the disk (guest-components' {@code sourceType}). */
    public enum Source {
        /** Not said: a blank disk is formatted, a LUKS2 disk is opened. */
        ANY,
        /** {@code encrypted}: the disk must already hold the volume; a blank disk is refused, never formatted. */
        ENCRYPTED,
        /** {@code empty}: the disk is expected blank; one that holds a LUKS2 header is opened, never reformatted. */
        EMPTY
    }

    /** Where the key comes from. */
    public sealed interface KeySource {
        /** A fresh random key for this boot: scratch, formatted every time. */
        record Ephemeral() implements KeySource {
        }

        /** A resource of the configured KBS, {@code kbs:///repo/type/tag}. */
        record Kbs(ResourceUri uri) implements KeySource {
        }

        /** A sealed secret ({@code sealed.…}) the data hub unseals. */
        record Sealed(String secret) implements KeySource {
            @Override
            public String toString() {
                return "Sealed[…]";
            }
        }
    }

    /** Whether the key is fresh for this boot. */
    public boolean ephemeral() {
        return key instanceof KeySource.Ephemeral;
    }
}
