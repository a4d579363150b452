package org.cvmagent.attestation.eventlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * UEFI_VARIABLE_DATA, the data of EV_EFI_VARIABLE_DRIVER_CONFIG / _BOOT / _BOOT2 / _AUTHORITY
 * events (TCG PC Client PFP 10.4.2): {@code VariableName GUID | UnicodeNameLength u64 |
 * VariableDataLength u64 | UnicodeName CHAR16[] | VariableData}. The GUID is written the way
 * Trustee writes it: its 16 bytes in storage order, grouped 4-2-2-2-6 (so EFI_GLOBAL_VARIABLE reads
 * {@code 61dfe48b-ca93-d211-...}), so that claims compare equal to Trustee's.
 */
final class EfiVariableData {
    private EfiVariableData() {
    }

    static EventDetails decode(byte[] data) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(data, 0, "EFI variable event");
        String guid = guid(r.bytes(16, "VariableName"));
        long nameLength = r.u64("UnicodeNameLength");
        long dataLength = r.u64("VariableDataLength");
        if (nameLength < 0 || nameLength > r.remaining() / 2) {
            throw new EvidenceFormatException("EFI variable event: a " + Long.toUnsignedString(nameLength)
                    + "-character name does not fit its " + data.length + " bytes");
        }
        String name = utf16(r.bytes((int) nameLength * 2, "UnicodeName"));
        if (dataLength < 0 || dataLength > r.remaining()) {
            throw new EvidenceFormatException("EFI variable event: " + Long.toUnsignedString(dataLength)
                    + " bytes of variable data do not fit its " + data.length + " bytes");
        }
        byte[] value = r.bytes((int) dataLength, "VariableData");
        return EventDetails.efiVariable(name, nameLength, Base64.getEncoder().encodeToString(value), dataLength, guid);
    }

    private static String guid(byte[] b) {
        String hex = HexFormat.of().formatHex(b);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
    }

    private static String utf16(byte[] bytes) throws EvidenceFormatException {
        try {
            return StandardCharsets.UTF_16LE.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)).toString();
        } catch (CharacterCodingException e) {
            throw new EvidenceFormatException("EFI variable event: the name is not UTF-16", e);
        }
    }
}
