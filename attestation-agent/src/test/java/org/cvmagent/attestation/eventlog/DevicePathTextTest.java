package org.cvmagent.attestation.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import org.cvmagent.attestation.EvidenceFormatException;
import org.junit.jupiter.api.Test;

/** Device path text and boot-services application events, against the vectors of Trustee's eventlog crate. */
class DevicePathTextTest {
    private static String node(int type, int subType, String hex) {
        return DevicePathText.of(type, subType, HexFormat.of().parseHex(hex));
    }

    @Test
    void nodesPrintAsTrusteePrintsThem() {
        assertEquals("ACPI(PNP0A03,0)", node(2, 1, "d041030a00000000"));
        assertEquals("ACPI(PNP0A03,2)", node(2, 1, "d041030a02000000"));
        assertEquals("Pci(0,3)", node(1, 1, "0003"));
        assertEquals("HD(15,GPT,00F1275E-5375-43D5-9EB5-DE2ADD4C9932,0x2800,0x35000)",
                node(4, 1, "0f000000002800000000000000500300000000005e27f1007553d5439eb5de2add4c99320202"));
        assertEquals("HD(0,MBR,0x00000000)",
                node(4, 1, "00000000000000000000000000000000000000000000000000000000431202a0000000000101"));
        assertEquals("HD(1,MBR,0xa0021243,0x800,0x2ee000)",
                node(4, 1, "01000000000800000000000000E02E0000000000431202a000000000431202a0000000000101"));
        assertEquals("VenMedia(55C5D1F8-04CD-46B5-8A20-E56CBB3052D0,)", node(4, 3, "f8d1c555cd04b5468a20e56cbb3052d0"));
        assertEquals("File(\\EFI\\BOOT\\fbx64.efi)", node(4, 4,
                "5c004500460049005c0042004f004f0054005c00660062007800360034002e006500660069000000"));
        assertEquals("USB(0,0)", node(3, 5, "0000"));
        assertEquals("Mac(001320F5FA77,0x01)",
                node(3, 0x0b, "001320f5fa77000000000000000000000000000000000000000000000000000001"));
        assertEquals("IPv4(192.168.0.100,TCP,Static,192.168.0.1)", node(3, 0x0c, "0100A8C06400A8C00000BC0C0600010000000000000000"));
        assertEquals("FibreEx(0x0001020304050607,0x0001020304050607)", node(3, 0x15, "00010203040506070001020304050607"));
        assertEquals("BBS(USB,,0)", node(5, 1, "0500000000"));
        assertEquals("BBS(65520,,0)", node(5, 1, "F0FF000000"));
        assertEquals("BBS(DEV,ABC,0)", node(5, 1, "8000000041424300"));
    }

    @Test
    void unknownOrMisfitNodesUseTheGenericForm() {
        assertEquals("Path(3,23,010000000000000000000000)", node(3, 23, "010000000000000000000000"));
        assertEquals("Path(2,2,0000)", node(2, 2, "0000"));
        assertEquals("Path(3,11,0013)", node(3, 0x0b, "0013"), "a MAC node must be 33 bytes");
        assertEquals("Path(4,1,0f00)", node(4, 1, "0f00"));
        assertEquals("Path(4,1," + "00".repeat(36) + "0302)", node(4, 1, "00".repeat(36) + "0302"),
                "partition format 3 is neither MBR nor GPT");
        assertEquals("Path(9,9,)", node(9, 9, ""));
    }

    @Test
    void bootServicesApplicationEvents() throws Exception {
        assertEquals(List.of("VenMedia(1428F772-B64A-441E-B8C3-9EBDD7F893C7,)", "File(kernel)"),
                BootServicesApplicationData.decode(HexFormat.of().parseHex(
                        "1800b37c0000000000a2a5000000000000000000000000002a000000000000000403140072f728144ab61e44b8c39e"
                                + "bdd7f893c7040412006b00650072006e0065006c0000007fff0400")).devicePaths().orElseThrow());
        assertEquals(List.of("ACPI(PNP0A03,0)", "Pci(0,1)", "Pci(0,0)", "Pci(0,1)", "Pci(0,0)",
                "HD(15,GPT,00F1275E-5375-43D5-9EB5-DE2ADD4C9932,0x2800,0x35000)", "File(\\EFI\\BOOT\\BOOTX64.EFI)"),
                BootServicesApplicationData.decode(HexFormat.of().parseHex(
                        "18406a7d0000000008c00e00000000000000000000000000820000000000000002010c00d041030a00000000010106"
                                + "00000101010600000001010600000101010600000004012a000f00000000280000000000000050030000"
                                + "0000005e27f1007553d5439eb5de2add4c99320202040430005c004500460049005c0042004f004f0054"
                                + "005c0042004f004f0054005800360034002e0045004600490000007fff0400"))
                        .devicePaths().orElseThrow());
        EventDetails none = BootServicesApplicationData.decode(HexFormat.of().parseHex(
                "009d9b7a000000008879e4000000000000000000000000000000000000000000"));
        assertTrue(none.devicePaths().isEmpty() && none.string().isEmpty(), "no device path: empty details");
    }

    @Test
    void malformedDevicePathsAreErrors() {
        String header = "1800b37c0000000000a2a500000000000000000000000000";
        // a path longer than the event
        assertThrows(EvidenceFormatException.class, () -> BootServicesApplicationData.decode(
                HexFormat.of().parseHex(header + "ff00000000000000" + "7fff0400")));
        // a node claiming more bytes than the path has
        assertThrows(EvidenceFormatException.class, () -> BootServicesApplicationData.decode(
                HexFormat.of().parseHex(header + "0c00000000000000" + "04043000" + "7fff0400")));
        // a node of length zero would never advance
        assertThrows(EvidenceFormatException.class, () -> BootServicesApplicationData.decode(
                HexFormat.of().parseHex(header + "0c00000000000000" + "04040000" + "7fff0400")));
        assertThrows(EvidenceFormatException.class, () -> BootServicesApplicationData.decode(new byte[20]));
    }
}
