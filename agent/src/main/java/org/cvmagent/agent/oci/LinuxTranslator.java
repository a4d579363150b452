package org.cvmagent.agent.oci;

import static org.cvmagent.agent.oci.JsonWriter.putIfNotEmpty;
import static org.cvmagent.agent.oci.JsonWriter.putUnsigned;
import static org.cvmagent.agent.oci.JsonWriter.requireAbsolute;
import static org.cvmagent.agent.oci.JsonWriter.requireOneOf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxDevice;
import org.cvmagent.proto.agent.LinuxIDMapping;
import org.cvmagent.proto.agent.LinuxNamespace;

/** Translates kata's {@code grpc.Linux} into config.json's {@code linux} (config-linux.md). */
final class LinuxTranslator {

    private final JsonNodeFactory nodes;
    private final ResourcesTranslator resources;
    private final SeccompTranslator seccomp;

    LinuxTranslator(JsonNodeFactory nodes, ResourcesTranslator resources,
            SeccompTranslator seccomp) {
        this.nodes = nodes;
        this.resources = resources;
        this.seccomp = seccomp;
    }

    ObjectNode translate(String field, Linux linux) {
        ObjectNode out = nodes.objectNode();
        idMappings(out, "uidMappings", linux.getUIDMappingsList());
        idMappings(out, "gidMappings", linux.getGIDMappingsList());
        putIfNotEmpty(out, "sysctl", linux.getSysctlMap());
        if (linux.hasResources()) {
            out.set("resources", resources.translate(field + ".resources", linux.getResources()));
        }
        putIfNotEmpty(out, "cgroupsPath", linux.getCgroupsPath());
        // An empty list is omitted (kata sets None explicitly, since a default would add
        // namespaces the host did not ask for).
        if (linux.getNamespacesCount() > 0) {
            ArrayNode namespaces = out.putArray("namespaces");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < linux.getNamespacesCount(); i++) {
                String at = field + ".namespaces[" + i + "]";
                LinuxNamespace namespace = linux.getNamespaces(i);
                namespaces.add(namespace(at, namespace));
                // config-linux.md: duplicated namespaces MUST be an error.
                if (!seen.add(namespace.getType())) {
                    throw new InvalidOciSpecException(at + ".type",
                            "duplicate namespace type '" + namespace.getType() + "'");
                }
            }
        }
        if (linux.getDevicesCount() > 0) {
            ArrayNode devices = out.putArray("devices");
            for (int i = 0; i < linux.getDevicesCount(); i++) {
                devices.add(device(field + ".devices[" + i + "]", linux.getDevices(i)));
            }
        }
        if (linux.hasSeccomp()) {
            out.set("seccomp", seccomp.translate(field + ".seccomp", linux.getSeccomp()));
        }
        if (!linux.getRootfsPropagation().isEmpty()) {
            requireOneOf(field + ".rootfsPropagation", linux.getRootfsPropagation(),
                    OciVocabulary.ROOTFS_PROPAGATIONS, "rootfs propagation");
            out.put("rootfsPropagation", linux.getRootfsPropagation());
        }
        // Empty masked/readonly lists are omitted: kata sets None on purpose so that no default
        // list is applied; absent means "none" to runc as well.
        putIfNotEmpty(out, "maskedPaths", linux.getMaskedPathsList());
        putIfNotEmpty(out, "readonlyPaths", linux.getReadonlyPathsList());
        putIfNotEmpty(out, "mountLabel", linux.getMountLabel());
        if (linux.hasIntelRdt()) {
            ObjectNode rdt = out.putObject("intelRdt");
            putIfNotEmpty(rdt, "l3CacheSchema", linux.getIntelRdt().getL3CacheSchema());
        }
        return out;
    }

    private void idMappings(ObjectNode out, String key, List<LinuxIDMapping> mappings) {
        if (mappings.isEmpty()) {
            return;
        }
        ArrayNode array = out.putArray(key);
        for (LinuxIDMapping mapping : mappings) {
            ObjectNode node = array.addObject();
            putUnsigned(node, "containerID", mapping.getContainerID());
            putUnsigned(node, "hostID", mapping.getHostID());
            putUnsigned(node, "size", mapping.getSize());
        }
    }

    private ObjectNode namespace(String field, LinuxNamespace namespace) {
        // kata's agent maps an unknown type to its default (pid) silently; that would hand the
        // container a namespace nobody asked for, so we refuse instead.
        requireOneOf(field + ".type", namespace.getType(), OciVocabulary.NAMESPACE_TYPES,
                "namespace type");
        ObjectNode out = nodes.objectNode();
        out.put("type", namespace.getType());
        if (!namespace.getPath().isEmpty()) {
            requireAbsolute(field + ".path", namespace.getPath());
            out.put("path", namespace.getPath());
        }
        return out;
    }

    private ObjectNode device(String field, LinuxDevice device) {
        requireOneOf(field + ".type", device.getType(), OciVocabulary.DEVICE_TYPES,
                "device type");
        requireAbsolute(field + ".path", device.getPath());
        ObjectNode out = nodes.objectNode();
        out.put("path", device.getPath());
        out.put("type", device.getType());
        out.put("major", device.getMajor());
        out.put("minor", device.getMinor());
        // kata writes fileMode 0 for "unset" (proto3), which would create an inaccessible node;
        // omitting it lets runc apply its 0666 default, which is what the host meant.
        if (device.getFileMode() != 0) {
            putUnsigned(out, "fileMode", device.getFileMode());
        }
        putUnsigned(out, "uid", device.getUID());
        putUnsigned(out, "gid", device.getGID());
        return out;
    }
}
