package org.cvmagent.agent.initdata;

import org.cvmagent.agent.config.HostInputs;
import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.policy.InitData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where init-data comes from: kata's init-data disk (confidential mode: the guest's way for a kata
 * 3.x runtime), the kernel command line's {@code agent.initdata=<base64 of gzip>} (small documents;
 * the kernel bounds the command line to 2 KiB), and in development mode a file named by
 * {@code CVM_AGENT_INITDATA} (plain TOML or base64 of gzip). More than one source present is
 * refused: which one its owner measured is unknowable.
 */
public final class InitDataSources {

    public static final String PARAMETER = "agent.initdata";
    public static final String ENVIRONMENT = "CVM_AGENT_INITDATA";

    private final InitDataDevice device;

    public InitDataSources(InitDataDevice device) {
        this.device = device;
    }

    /**
     * @throws IllegalArgumentException malformed init-data, or more than one source
     * @throws IOException              a source cannot be read
     */
    public Optional<MeasuredInitData> load(TrustMode mode, HostInputs host) throws IOException {
        List<MeasuredInitData> found = new ArrayList<>();
        if (mode == TrustMode.CONFIDENTIAL) {
            device.read().ifPresent(found::add);
        }
        Optional<String> parameter = host.cmdline().value(PARAMETER);
        if (parameter.isPresent()) {
            found.add(MeasuredInitData.of(InitData.tomlBytes(parameter.get().getBytes(StandardCharsets.US_ASCII)),
                    "kernel command line " + PARAMETER));
        }
        String file = host.environment().get(ENVIRONMENT);
        if (file != null && !file.isBlank()) {
            Path path = Path.of(file.strip());
            found.add(MeasuredInitData.of(InitData.tomlBytes(Files.readAllBytes(path)), "init-data file " + path));
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("init-data arrived from more than one source: "
                    + found.stream().map(MeasuredInitData::origin).toList());
        }
        return found.stream().findFirst();
    }
}
