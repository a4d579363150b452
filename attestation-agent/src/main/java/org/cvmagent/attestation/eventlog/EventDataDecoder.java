package org.cvmagent.attestation.eventlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.cvmagent.attestation.EvidenceFormatException;

/**
 * Decoders of event data into details, following what Trustee's verifier reports so that claims
 * built here read the same; types Trustee does not decode keep empty details (their raw data is
 * still in the entry).
 */
enum EventDataDecoder {
    /** Nothing to decode. */
    NONE {
        @Override
        EventDetails decode(byte[] data) {
            return EventDetails.empty();
        }
    },
    /** The data is a UTF-8 string. */
    UTF8 {
        @Override
        EventDetails decode(byte[] data) throws EvidenceFormatException {
            return EventDetails.of(strictUtf8(data, 0, data.length));
        }
    },
    /**
     * A length byte, then the text; the length counts the string's terminating NUL, which is not
     * part of the text (UEFI_PLATFORM_FIRMWARE_BLOB2's BlobDescription, HANDOFF_TABLES2's TableDescription).
     */
    LENGTH_PREFIXED {
        @Override
        EventDetails decode(byte[] data) throws EvidenceFormatException {
            if (data.length == 0) {
                throw new EvidenceFormatException("event data is empty: expected a length byte");
            }
            int length = data[0] & 0xff;
            if (data.length < length) {
                throw new EvidenceFormatException("event data is " + data.length + " bytes: expected at least "
                        + length);
            }
            return EventDetails.of(length == 0 ? "" : strictUtf8(data, 1, length - 1));
        }
    },
    /**
     * td-shim's platform configuration: a descriptor and binary data; what reads as text is kept,
     * with control characters dropped and DLE (0x10) read as a space.
     */
    CONFIG_FLAGS {
        @Override
        EventDetails decode(byte[] data) {
            String raw;
            try {
                raw = strictUtf8(data, 0, data.length);
            } catch (EvidenceFormatException e) {
                // binary configuration data has no text form: Trustee reports it as an empty string
                raw = "";
            }
            StringBuilder sb = new StringBuilder(raw.length());
            raw.replace('\u0010', ' ').codePoints().filter(c -> !Character.isISOControl(c)).forEach(sb::appendCodePoint);
            return EventDetails.of(sb.toString());
        }
    },
    /**
     * The initial program loader's text: a UTF-16LE string after the 0x2e 0x00 prefix GCE uses, or
     * otherwise UTF-8 up to the first NUL.
     */
    IPL {
        @Override
        EventDetails decode(byte[] data) throws EvidenceFormatException {
            if (data.length < 2) {
                throw new EvidenceFormatException("IPL event data is " + data.length + " bytes: expected at least 2");
            }
            if (data[0] == 0x2e && data[1] == 0x00) {
                int end = data.length - 2;
                if (end == 0 || end % 2 != 0) {
                    throw new EvidenceFormatException("IPL event data is not a UTF-16 string");
                }
                return EventDetails.of(new String(data, 2, end - 2, StandardCharsets.UTF_16LE));
            }
            int cut = 0;
            while (cut < data.length && data[cut] != 0) {
                cut++;
            }
            return EventDetails.of(new String(data, 0, cut, StandardCharsets.UTF_8));
        }
    },
    /** UEFI_VARIABLE_DATA: the variable's GUID, name and value. */
    EFI_VARIABLE {
        @Override
        EventDetails decode(byte[] data) throws EvidenceFormatException {
            return EfiVariableData.decode(data);
        }
    },
    /** UEFI_IMAGE_LOAD_EVENT: the loaded image's device path. */
    BOOT_SERVICES_APPLICATION {
        @Override
        EventDetails decode(byte[] data) throws EvidenceFormatException {
            return BootServicesApplicationData.decode(data);
        }
    },
    /** TCG_PCClientTaggedEvent, including the attestation agent's AAEL entries. */
    EVENT_TAG {
        @Override
        EventDetails decode(byte[] data) throws EvidenceFormatException {
            return TaggedEventData.decode(data);
        }
    };

    abstract EventDetails decode(byte[] data) throws EvidenceFormatException;

    private static String strictUtf8(byte[] data, int offset, int length) throws EvidenceFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, offset, length).order(ByteOrder.LITTLE_ENDIAN)).toString();
        } catch (CharacterCodingException e) {
            throw new EvidenceFormatException("event data is not UTF-8 text", e);
        }
    }
}
