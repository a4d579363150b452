package org.cvmagent.attestation.eventlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * One UEFI device path node as text (UEFI 2.10 §10.6 text device node forms), for the node kinds
 * Trustee's eventlog crate prints: Pci, ACPI, HD, VenMedia, File, FibreEx, USB, Mac, IPv4, BBS.
 * Any other node, or one whose data does not fit its form, is {@code Path(type,subtype,hex)} — the
 * same fallback — so claims read the same as Trustee's, including its quirks noted below.
 */
final class DevicePathText {
    private static final HexFormat HEX = HexFormat.of();

    private DevicePathText() {
    }

    static String of(int type, int subType, byte[] data) {
        return known(type, subType, data).orElseGet(
                () -> "Path(" + type + "," + subType + "," + HEX.formatHex(data) + ")");
    }

    private static Optional<String> known(int type, int subType, byte[] d) {
        return switch (type << 8 | subType) {
            case 0x0101 -> d.length < 2 ? Optional.empty() : Optional.of("Pci(" + u8(d, 0) + "," + u8(d, 1) + ")");
            case 0x0201 -> d.length < 8 ? Optional.empty() : Optional.of(acpi(d));
            case 0x0315 -> d.length < 16 ? Optional.empty() : Optional.of("FibreEx(0x" + HEX.formatHex(d, 0, 8) + ",0x"
                    + HEX.formatHex(d, 8, 16) + ")");
            case 0x0305 -> d.length < 2 ? Optional.empty() : Optional.of("USB(" + u8(d, 0) + "," + u8(d, 1) + ")");
            case 0x030B -> d.length != 33 ? Optional.empty() : Optional.of(mac(d));
            case 0x030C -> d.length < 23 ? Optional.empty() : Optional.of(ipv4(d));
            case 0x0401 -> hardDrive(d);
            case 0x0403 -> d.length < 16 ? Optional.empty() : Optional.of("VenMedia(" + guid(d, 0) + ","
                    + HEX.formatHex(d, 16, d.length) + ")");
            case 0x0404 -> d.length == 0 || d.length % 2 != 0 ? Optional.empty()
                    // the last UTF-16 unit is the terminating NUL
                    : Optional.of("File(" + new String(d, 0, d.length - 2, StandardCharsets.UTF_16LE) + ")");
            case 0x0501 -> bbs(d);
            default -> Optional.empty();
        };
    }

    /** ACPI(HID,UID): the HID's compressed EISA id as three letters and four hex digits. */
    private static String acpi(byte[] d) {
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        long hid = Integer.toUnsignedLong(b.getInt());
        long uid = Integer.toUnsignedLong(b.getInt());
        long vendor = hid & 0xFFFF;
        char c1 = (char) (((vendor >> 10) & 0x1F) + '@');
        char c2 = (char) (((vendor >> 5) & 0x1F) + '@');
        char c3 = (char) ((vendor & 0x1F) + '@');
        return "ACPI(" + c1 + c2 + c3 + String.format("%04X", hid >> 16) + "," + uid + ")";
    }

    /** Mac(address,type): the first 31 of the 32 address bytes in hex, trailing zero digits cut, as Trustee prints it. */
    private static String mac(byte[] d) {
        String hex = HEX.formatHex(d, 0, 31).replaceAll("0+$", "").toUpperCase(java.util.Locale.ROOT);
        return "Mac(" + hex + "," + String.format("0x%02x", u8(d, 32)) + ")";
    }

    /**
     * IPv4(remote,protocol,origin,local[,gateway,subnet]). Trustee reads each address as a
     * little-endian u32 and prints it most significant byte first, so the octets come out reversed;
     * gateway and subnet are printed as decimal u32. Reproduced so the claims compare equal.
     */
    private static String ipv4(byte[] d) {
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        String local = reversedAddress(b.getInt());
        String remote = reversedAddress(b.getInt());
        b.getShort();
        b.getShort();
        String protocol = switch (Short.toUnsignedInt(b.getShort())) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            default -> "";
        };
        String origin = switch (Byte.toUnsignedInt(b.get())) {
            case 0 -> "DHCP";
            case 1 -> "Static";
            default -> "";
        };
        long gateway = Integer.toUnsignedLong(b.getInt());
        long subnet = Integer.toUnsignedLong(b.getInt());
        String tail = gateway != 0 || subnet != 0 ? "," + gateway + "," + subnet : "";
        return "IPv4(" + remote + "," + protocol + "," + origin + "," + local + tail + ")";
    }

    private static String reversedAddress(int bits) {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
    }

    /** HD(number,MBR|GPT,signature[,start,size]); start and size only for a numbered partition. */
    private static Optional<String> hardDrive(byte[] d) {
        if (d.length < 38) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        long number = Integer.toUnsignedLong(b.getInt(0));
        long start = b.getLong(4);
        long size = b.getLong(12);
        String format;
        String signature;
        switch (d[36]) {
            case 0x01 -> {
                format = "MBR";
                signature = String.format("0x%08x", b.getInt(20));
            }
            case 0x02 -> {
                format = "GPT";
                signature = guid(d, 20);
            }
            default -> {
                return Optional.empty();
            }
        }
        String extent = number != 0 ? ",0x" + Long.toHexString(start) + ",0x" + Long.toHexString(size) : "";
        return Optional.of("HD(" + number + "," + format + "," + signature + extent + ")");
    }

    /** BBS(type,description,status): the description UTF-8 up to its NUL. */
    private static Optional<String> bbs(byte[] d) {
        if (d.length < 4) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        int deviceType = Short.toUnsignedInt(b.getShort());
        int status = Short.toUnsignedInt(b.getShort());
        String type = switch (deviceType) {
            case 0x01 -> "FLOPPY";
            case 0x02 -> "HARD_DRIVE";
            case 0x03 -> "CDROM";
            case 0x04 -> "PCMCIA";
            case 0x05 -> "USB";
            case 0x06 -> "EMBEDDED_NETWORK";
            case 0x80 -> "DEV";
            case 0xFF -> "UNKNOWN";
            default -> Integer.toString(deviceType);
        };
        int end = 4;
        while (end < d.length && d[end] != 0) {
            end++;
        }
        try {
            String description = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Arrays.copyOfRange(d, 4, end))).toString();
            return Optional.of("BBS(" + type + "," + description + "," + status + ")");
        } catch (CharacterCodingException e) {
            // not text: the generic form, as for any node that does not fit its kind
            return Optional.empty();
        }
    }

    /** EFI_GUID in its registry form: the first three fields little-endian, upper case. */
    private static String guid(byte[] d, int at) {
        ByteBuffer b = ByteBuffer.wrap(d, at, 16).order(ByteOrder.LITTLE_ENDIAN);
        String head = String.format("%08X-%04X-%04X-", b.getInt(), b.getShort(), b.getShort());
        return head + HEX.formatHex(d, at + 8, at + 10).toUpperCase(java.util.Locale.ROOT) + "-"
                + HEX.formatHex(d, at + 10, at + 16).toUpperCase(java.util.Locale.ROOT);
    }

    private static int u8(byte[] d, int i) {
        return d[i] & 0xff;
    }
}
