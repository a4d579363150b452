package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.NetworkStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkStatsReaderTest {

    @TempDir
    Path tmp;

    private static final String NET_DEV = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:   12345      67    0    0    0     0          0         0    12345      67    0    0    0     0       0          0
              eth0:18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
            """;

    @Test
    void parsesEveryInterfaceWithTheKataFields() throws Exception {
        List<NetworkStats> stats = NetworkStatsReader.parse(NET_DEV);
        assertEquals(List.of(
                NetworkStats.newBuilder().setName("lo").setRxBytes(12345).setRxPackets(67)
                        .setTxBytes(12345).setTxPackets(67).build(),
                NetworkStats.newBuilder().setName("eth0").setRxBytes(-1L).setRxPackets(2).setRxErrors(3)
                        .setRxDropped(4).setTxBytes(9).setTxPackets(10).setTxErrors(11).setTxDropped(12).build()),
                stats);
    }

    @Test
    void readsTheNetDevOfThePid() throws Exception {
        Files.createDirectories(tmp.resolve("42/net"));
        Files.writeString(tmp.resolve("42/net/dev"), NET_DEV);
        assertEquals(2, new NetworkStatsReader(tmp).read(42).size());
    }

    @Test
    void malformedLinesAreErrors() {
        assertThrows(IOException.class, () -> NetworkStatsReader.parse("h1\nh2\n  eth0 1 2 3\n"));
        assertThrows(IOException.class, () -> NetworkStatsReader.parse("h1\nh2\n  eth0: 1 2 3\n"));
        assertThrows(IOException.class, () -> NetworkStatsReader.parse("h1\nh2\n  eth0: 1 2 3 4 5 6 7 8 x 10 11 12 13 14 15 16\n"));
    }

    @Test
    void realNetDevOfThisProcessListsItsInterfaces() throws Exception {
        List<NetworkStats> stats = new NetworkStatsReader(Path.of("/proc")).read(ProcessHandle.current().pid());
        Set<String> names = stats.stream().map(NetworkStats::getName).collect(Collectors.toSet());
        try (Stream<Path> sysfs = Files.list(Path.of("/sys/class/net"))) {
            assertEquals(sysfs.map(p -> p.getFileName().toString()).collect(Collectors.toSet()), names);
        }
        assertTrue(names.contains("lo"));
    }
}
