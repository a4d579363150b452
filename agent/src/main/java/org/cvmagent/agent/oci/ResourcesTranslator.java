package org.cvmagent.agent.oci;

import static org.cvmagent.agent.oci.JsonWriter.putIfNotEmpty;
import static org.cvmagent.agent.oci.JsonWriter.putUnsigned;
import static org.cvmagent.agent.oci.JsonWriter.requireOneOf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.cvmagent.proto.agent.LinuxBlockIO;
import org.cvmagent.proto.agent.LinuxCPU;
import org.cvmagent.proto.agent.LinuxDeviceCgroup;
import org.cvmagent.proto.agent.LinuxHugepageLimit;
import org.cvmagent.proto.agent.LinuxMemory;
import org.cvmagent.proto.agent.LinuxNetwork;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.LinuxThrottleDevice;
import org.cvmagent.proto.agent.LinuxWeightDevice;

/**
 * Translates kata's {@code grpc.LinuxResources} into config.json's {@code linux.resources}
 * (config-linux.md "Control groups"). proto3 scalars cannot say "unset", so 0 is read as unset
 * and omitted, as kata does; signed limits keep their special negative values (-1 = unlimited),
 * where kata's agent drops anything below 1.
 */
final class ResourcesTranslator {

    private static final int MAX_BLKIO_WEIGHT = 0xFFFF;

    private final JsonNodeFactory nodes;

    ResourcesTranslator(JsonNodeFactory nodes) {
        this.nodes = nodes;
    }

    ObjectNode translate(String field, LinuxResources resources) {
        ObjectNode out = nodes.objectNode();
        if (resources.getDevicesCount() > 0) {
            ArrayNode devices = out.putArray("devices");
            for (int i = 0; i < resources.getDevicesCount(); i++) {
                devices.add(device(field + ".devices[" + i + "]", resources.getDevices(i)));
            }
        }
        if (resources.hasMemory()) {
            out.set("memory", memory(resources.getMemory()));
        }
        if (resources.hasCPU()) {
            out.set("cpu", cpu(resources.getCPU()));
        }
        // kata's agent tests `!has_Pids()` here and so drops a pids limit the host did send;
        // we follow the runtime-spec instead: limit is REQUIRED inside pids, written as is.
        if (resources.hasPids()) {
            out.putObject("pids").put("limit", resources.getPids().getLimit());
        }
        if (resources.hasBlockIO()) {
            out.set("blockIO", blockIO(field + ".blockIO", resources.getBlockIO()));
        }
        if (resources.getHugepageLimitsCount() > 0) {
            ArrayNode limits = out.putArray("hugepageLimits");
            for (LinuxHugepageLimit limit : resources.getHugepageLimitsList()) {
                ObjectNode node = limits.addObject();
                node.put("pageSize", limit.getPagesize());
                putUnsigned(node, "limit", limit.getLimit());
            }
        }
        if (resources.hasNetwork()) {
            out.set("network", network(resources.getNetwork()));
        }
        return out;
    }

    private ObjectNode device(String field, LinuxDeviceCgroup device) {
        ObjectNode out = nodes.objectNode();
        out.put("allow", device.getAllow());
        // An empty type means "all" by omission; anything else must be a, c or b.
        if (!device.getType().isEmpty()) {
            requireOneOf(field + ".type", device.getType(), OciVocabulary.DEVICE_CGROUP_TYPES,
                    "device cgroup type");
            out.put("type", device.getType());
        }
        // Go's runtime encodes the wildcard major/minor as -1 (nil in runtime-spec); kata keeps
        // only positive numbers, and so do we. 0 is a real major only for unnamed devices, which
        // never appear in a device rule.
        if (device.getMajor() > 0) {
            out.put("major", device.getMajor());
        }
        if (device.getMinor() > 0) {
            out.put("minor", device.getMinor());
        }
        // access is a combination of r, w, m (config-linux.md); anything else would be passed to
        // the devices controller verbatim, so it is refused here.
        if (!device.getAccess().chars().allMatch(c -> c == 'r' || c == 'w' || c == 'm')) {
            throw new InvalidOciSpecException(field + ".access",
                    "must combine r, w and m, got '" + device.getAccess() + "'");
        }
        putIfNotEmpty(out, "access", device.getAccess());
        return out;
    }

    private ObjectNode memory(LinuxMemory memory) {
        ObjectNode out = nodes.objectNode();
        putIfNonZero(out, "limit", memory.getLimit());
        putIfNonZero(out, "reservation", memory.getReservation());
        putIfNonZero(out, "swap", memory.getSwap());
        putIfNonZero(out, "kernel", memory.getKernel());
        putIfNonZero(out, "kernelTCP", memory.getKernelTCP());
        // swappiness 0 is indistinguishable from unset on the wire; kata omits it too.
        if (memory.getSwappiness() != 0) {
            putUnsigned(out, "swappiness", memory.getSwappiness());
        }
        // kata always writes disableOOMKiller when memory is present.
        out.put("disableOOMKiller", memory.getDisableOOMKiller());
        return out;
    }

    private ObjectNode cpu(LinuxCPU cpu) {
        ObjectNode out = nodes.objectNode();
        if (cpu.getShares() != 0) {
            putUnsigned(out, "shares", cpu.getShares());
        }
        // quota -1 means "no limit" to runc (cgroup v2 "max"); kept, unlike kata's `> 0`.
        putIfNonZero(out, "quota", cpu.getQuota());
        if (cpu.getPeriod() != 0) {
            putUnsigned(out, "period", cpu.getPeriod());
        }
        putIfNonZero(out, "realtimeRuntime", cpu.getRealtimeRuntime());
        if (cpu.getRealtimePeriod() != 0) {
            putUnsigned(out, "realtimePeriod", cpu.getRealtimePeriod());
        }
        putIfNotEmpty(out, "cpus", cpu.getCpus());
        putIfNotEmpty(out, "mems", cpu.getMems());
        return out;
    }

    private ObjectNode blockIO(String field, LinuxBlockIO blockIO) {
        ObjectNode out = nodes.objectNode();
        if (blockIO.getWeight() != 0) {
            out.put("weight", weight(field + ".weight", blockIO.getWeight()));
        }
        if (blockIO.getLeafWeight() != 0) {
            out.put("leafWeight", weight(field + ".leafWeight", blockIO.getLeafWeight()));
        }
        List<LinuxWeightDevice> weightDevices = blockIO.getWeightDeviceList();
        if (!weightDevices.isEmpty()) {
            ArrayNode array = out.putArray("weightDevice");
            for (int i = 0; i < weightDevices.size(); i++) {
                LinuxWeightDevice device = weightDevices.get(i);
                String at = field + ".weightDevice[" + i + "]";
                ObjectNode node = array.addObject();
                node.put("major", device.getMajor());
                node.put("minor", device.getMinor());
                // Both are optional in runtime-spec; 0 is not a valid blkio weight, so 0 = unset.
                if (device.getWeight() != 0) {
                    node.put("weight", weight(at + ".weight", device.getWeight()));
                }
                if (device.getLeafWeight() != 0) {
                    node.put("leafWeight", weight(at + ".leafWeight", device.getLeafWeight()));
                }
            }
        }
        throttle(out, "throttleReadBpsDevice", blockIO.getThrottleReadBpsDeviceList());
        throttle(out, "throttleWriteBpsDevice", blockIO.getThrottleWriteBpsDeviceList());
        throttle(out, "throttleReadIOPSDevice", blockIO.getThrottleReadIOPSDeviceList());
        throttle(out, "throttleWriteIOPSDevice", blockIO.getThrottleWriteIOPSDeviceList());
        return out;
    }

    /** runtime-spec weights are uint16; kata truncates silently, we refuse. */
    private static int weight(String field, int weight) {
        if (Integer.compareUnsigned(weight, MAX_BLKIO_WEIGHT) > 0) {
            throw new InvalidOciSpecException(field,
                    "must fit in 16 bits, got " + Integer.toUnsignedString(weight));
        }
        return weight;
    }

    private void throttle(ObjectNode out, String key, List<LinuxThrottleDevice> devices) {
        if (devices.isEmpty()) {
            return;
        }
        ArrayNode array = out.putArray(key);
        for (LinuxThrottleDevice device : devices) {
            ObjectNode node = array.addObject();
            node.put("major", device.getMajor());
            node.put("minor", device.getMinor());
            putUnsigned(node, "rate", device.getRate());
        }
    }

    private ObjectNode network(LinuxNetwork network) {
        ObjectNode out = nodes.objectNode();
        if (network.getClassID() != 0) {
            putUnsigned(out, "classID", network.getClassID());
        }
        if (network.getPrioritiesCount() > 0) {
            ArrayNode priorities = out.putArray("priorities");
            network.getPrioritiesList().forEach(priority -> {
                ObjectNode node = priorities.addObject();
                node.put("name", priority.getName());
                putUnsigned(node, "priority", priority.getPriority());
            });
        }
        return out;
    }

    private static void putIfNonZero(ObjectNode out, String key, long value) {
        if (value != 0) {
            out.put(key, value);
        }
    }
}
