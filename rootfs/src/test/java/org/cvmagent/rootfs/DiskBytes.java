package org.cvmagent.rootfs;

/** Searches a disk image the host side of a guest test reads, e.g. for plaintext that must not be there. */
final class DiskBytes {

    private DiskBytes() {
    }

    /** The first index of {@code needle} in {@code haystack}, or -1. */
    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
