package org.cvmagent.attestation.eventlog;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * UEFI_IMAGE_LOAD_EVENT, the data of EV_EFI_BOOT_SERVICES_APPLICATION (TCG PC Client PFP 10.2.3):
 * {@code ImageLocationInMemory u64 | ImageLengthInMemory u64 | ImageLinkTimeAddress u64 |
 * LengthOfDevicePath u64 | DevicePath}. The device path's nodes ({@code type u8 | subtype u8 |
 * length u16 | data}) become {@code device_paths} text, as Trustee does: its last four bytes (the
 * end-of-path node) are left out, and a path of length zero gives empty details.
 */
final class BootServicesApplicationData {
    private BootServicesApplicationData() {
    }

    static EventDetails decode(byte[] data) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(data, 0, "boot services application event");
        r.bytes(24, "image location, length and link address");
        long length = r.u64("LengthOfDevicePath");
        if (length == 0) {
            return EventDetails.empty();
        }
        if (length < 8 || length - 4 > r.remaining()) {
            throw new EvidenceFormatException("boot services application event: a " + Long.toUnsignedString(length)
                    + "-byte device path does not fit its " + data.length + " bytes");
        }
        byte[] path = r.bytes((int) length - 4, "DevicePath");
        List<String> nodes = new ArrayList<>();
        int at = 0;
        while (at < path.length) {
            if (path.length - at < 4) {
                throw new EvidenceFormatException("device path: " + (path.length - at) + " bytes left, not a node");
            }
            int nodeLength = (path[at + 2] & 0xff) | (path[at + 3] & 0xff) << 8;
            if (nodeLength < 4 || nodeLength > path.length - at) {
                throw new EvidenceFormatException("device path: a node of " + nodeLength + " bytes at " + at
                        + " in a " + path.length + "-byte path");
            }
            nodes.add(DevicePathText.of(path[at] & 0xff, path[at + 1] & 0xff,
                    Arrays.copyOfRange(path, at + 4, at + nodeLength)));
            at += nodeLength;
        }
        return EventDetails.devicePaths(nodes);
    }
}
