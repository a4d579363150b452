package org.cvmagent.attestation.eventlog;

import java.util.Optional;

/** TCG PC Client event types, with the decoder of their data. */
public enum TcgEventType {
    EV_PREBOOT_CERT(0x0, EventDataDecoder.NONE),
    EV_POST_CODE(0x1, EventDataDecoder.UTF8),
    EV_UNUSED(0x2, EventDataDecoder.NONE),
    EV_NO_ACTION(0x3, EventDataDecoder.NONE),
    EV_SEPARATOR(0x4, EventDataDecoder.NONE),
    EV_ACTION(0x5, EventDataDecoder.UTF8),
    EV_EVENT_TAG(0x6, EventDataDecoder.EVENT_TAG),
    EV_S_CRTM_CONTENTS(0x7, EventDataDecoder.NONE),
    EV_S_CRTM_VERSION(0x8, EventDataDecoder.NONE),
    EV_CPU_MICROCODE(0x9, EventDataDecoder.NONE),
    EV_PLATFORM_CONFIG_FLAGS(0xA, EventDataDecoder.CONFIG_FLAGS),
    EV_TABLE_OF_DEVICES(0xB, EventDataDecoder.NONE),
    EV_COMPACT_HASH(0xC, EventDataDecoder.UTF8),
    EV_IPL(0xD, EventDataDecoder.IPL),
    EV_IPL_PARTITION_DATA(0xE, EventDataDecoder.NONE),
    EV_NONHOST_CODE(0xF, EventDataDecoder.NONE),
    EV_NONHOST_CONFIG(0x10, EventDataDecoder.NONE),
    EV_NONHOST_INFO(0x11, EventDataDecoder.NONE),
    EV_OMIT_BOOT_DEVICE_EVENTS(0x12, EventDataDecoder.UTF8),
    EV_EFI_EVENT_BASE(0x80000000L, EventDataDecoder.NONE),
    EV_EFI_VARIABLE_DRIVER_CONFIG(0x80000001L, EventDataDecoder.EFI_VARIABLE),
    EV_EFI_VARIABLE_BOOT(0x80000002L, EventDataDecoder.EFI_VARIABLE),
    EV_EFI_BOOT_SERVICES_APPLICATION(0x80000003L, EventDataDecoder.BOOT_SERVICES_APPLICATION),
    EV_EFI_BOOT_SERVICES_DRIVER(0x80000004L, EventDataDecoder.NONE),
    EV_EFI_RUNTIME_SERVICES_DRIVER(0x80000005L, EventDataDecoder.NONE),
    EV_EFI_GPT_EVENT(0x80000006L, EventDataDecoder.NONE),
    EV_EFI_ACTION(0x80000007L, EventDataDecoder.UTF8),
    EV_EFI_PLATFORM_FIRMWARE_BLOB(0x80000008L, EventDataDecoder.NONE),
    EV_EFI_HANDOFF_TABLES(0x80000009L, EventDataDecoder.NONE),
    EV_EFI_PLATFORM_FIRMWARE_BLOB2(0x8000000AL, EventDataDecoder.LENGTH_PREFIXED),
    EV_EFI_HANDOFF_TABLES2(0x8000000BL, EventDataDecoder.LENGTH_PREFIXED),
    EV_EFI_VARIABLE_BOOT2(0x8000000CL, EventDataDecoder.EFI_VARIABLE),
    EV_EFI_HCRTM_EVENT(0x80000010L, EventDataDecoder.NONE),
    EV_EFI_VARIABLE_AUTHORITY(0x800000E0L, EventDataDecoder.EFI_VARIABLE),
    EV_EFI_SPDM_FIRMWARE_BLOB(0x800000E1L, EventDataDecoder.NONE),
    EV_EFI_SPDM_FIRMWARE_CONFIG(0x800000E2L, EventDataDecoder.NONE);

    private final long code;
    private final EventDataDecoder decoder;

    TcgEventType(long code, EventDataDecoder decoder) {
        this.code = code;
        this.decoder = decoder;
    }

    public static Optional<TcgEventType> of(long code) {
        for (TcgEventType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    EventDataDecoder decoder() {
        return decoder;
    }
}
