package org.cvmagent.attestation.snp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * The certificate table the host hands out with an extended report (GHCB spec, SNP extended guest
 * request; configfs-tsm's auxblob for sev_guest): 24-byte entries {@code guid[16] | offset u32 |
 * length u32} up to an all-zero GUID, each certificate at its offset from the table's start.
 *
 * <p>As JSON it is the {@code sev} crate's {@code Vec<CertTableEntry>}:
 * {@code [{"cert_type": "VCEK", "data": [bytes]}]}, with the known GUIDs as the enum's variant
 * names and any other as {@code {"OTHER": "<uuid>"}}.
 */
public record SnpCertTable(List<Entry> entries) {
    /** The GUIDs the sev crate names (sev firmware/host/types/snp.rs CertType). */
    private static final Map<UUID, String> KNOWN = Map.of(
            UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae"), "ARK",
            UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782"), "ASK",
            UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd"), "VCEK",
            UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1"), "VLEK",
            UUID.fromString("92f81bc3-5811-4d3d-97ff-d19f88dc67ea"), "CRL");
    private static final int ENTRY = 24;

    public record Entry(UUID guid, byte[] data) {
        public Entry {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }

    public SnpCertTable {
        entries = List.copyOf(entries);
    }

    public static SnpCertTable parse(byte[] table) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(table, 0, "SNP certificate table");
        List<Entry> entries = new ArrayList<>();
        while (true) {
            if (r.remaining() < ENTRY) {
                throw new EvidenceFormatException("SNP certificate table: no all-zero terminating entry after "
                        + entries.size() + " entries");
            }
            byte[] guid = r.bytes(16, "certificate GUID");
            long offset = r.u32("certificate offset");
            long length = r.u32("certificate length");
            if (Arrays.equals(guid, new byte[16])) {
                return new SnpCertTable(entries);
            }
            if (offset + length > table.length) {
                throw new EvidenceFormatException("SNP certificate table: entry " + entries.size() + " points at "
                        + offset + "+" + length + ", outside the " + table.length + "-byte table");
            }
            ByteBuffer b = ByteBuffer.wrap(guid);
            entries.add(new Entry(new UUID(b.getLong(), b.getLong()),
                    Arrays.copyOfRange(table, (int) offset, (int) (offset + length))));
        }
    }

    /** The certificate of a type (VCEK, VLEK, ASK, ARK, CRL), if the host supplied one. */
    public java.util.Optional<byte[]> certificate(String type) {
        return entries.stream().filter(e -> type.equals(KNOWN.get(e.guid()))).map(Entry::data).findFirst();
    }

    public ArrayNode toJson() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ArrayNode array = json.arrayNode();
        for (Entry e : entries) {
            ObjectNode o = json.objectNode();
            String name = KNOWN.get(e.guid());
            if (name != null) {
                o.put("cert_type", name);
            } else if (e.guid().equals(new UUID(0, 0))) {
                o.put("cert_type", "Empty");
            } else {
                o.set("cert_type", json.objectNode().put("OTHER", e.guid().toString()));
            }
            o.set("data", SnpReportJson.bytes(e.data()));
            array.add(o);
        }
        return array;
    }
}
