package org.cvmagent.image.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.cvmagent.image.bundle.ImageConfig.ContainerProcess;
import org.cvmagent.image.bundle.ImageConfig.ProcessSpec;
import org.junit.jupiter.api.Test;

class ImageConfigTest {
    private static final ImageConfig NGINX = new ImageConfig(List.of("/docker-entrypoint.sh"),
            List.of("nginx", "-g", "daemon off;"), List.of("PATH=/usr/bin:/bin", "NGINX_VERSION=1.25"), "/srv", "101");

    private static ContainerProcess container(List<String> command, List<String> args) {
        return new ContainerProcess(command, args, List.of(), "", "");
    }

    @Test
    void parsesTheConfigSection() throws IOException {
        ImageConfig c = ImageConfig.parse("""
                {"architecture":"amd64","os":"linux","config":{"Entrypoint":["/e"],"Cmd":["a","b"],
                 "Env":["X=1"],"WorkingDir":"/w","User":"1000:1000","Labels":{"k":"v"}}}
                """.getBytes(StandardCharsets.UTF_8));
        assertEquals(new ImageConfig(List.of("/e"), List.of("a", "b"), List.of("X=1"), "/w", "1000:1000"), c);
        ImageConfig empty = ImageConfig.parse("{\"config\":{\"Entrypoint\":null}}".getBytes(StandardCharsets.UTF_8));
        assertEquals(new ImageConfig(List.of(), List.of(), List.of(), "", ""), empty);
        assertThrows(IOException.class, () -> ImageConfig.parse("{\"config\":{\"Cmd\":\"sh\"}}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IOException.class, () -> ImageConfig.parse("[]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void imageDefaultsWhenTheContainerSetsNothing() {
        ProcessSpec p = NGINX.applyTo(container(List.of(), List.of()));
        assertEquals(List.of("/docker-entrypoint.sh", "nginx", "-g", "daemon off;"), p.args());
        assertEquals("/srv", p.cwd());
        assertEquals("101", p.user());
        assertEquals(NGINX.env(), p.env());
    }

    @Test
    void containerArgsReplaceCmdAndKeepTheEntrypoint() {
        assertEquals(List.of("/docker-entrypoint.sh", "echo", "hi"),
                NGINX.applyTo(container(List.of(), List.of("echo", "hi"))).args());
    }

    @Test
    void containerCommandReplacesEntrypointAndDropsCmd() {
        assertEquals(List.of("/bin/sh"), NGINX.applyTo(container(List.of("/bin/sh"), List.of())).args());
        assertEquals(List.of("/bin/sh", "-c", "true"),
                NGINX.applyTo(container(List.of("/bin/sh"), List.of("-c", "true"))).args());
    }

    @Test
    void containerEnvOverridesByNameInTheImagesOrder() {
        ProcessSpec p = NGINX.applyTo(new ContainerProcess(List.of(), List.of(),
                List.of("EXTRA=1", "PATH=/opt/bin"), "/tmp", "0"));
        assertEquals(List.of("PATH=/opt/bin", "NGINX_VERSION=1.25", "EXTRA=1"), p.env());
        assertEquals("/tmp", p.cwd());
        assertEquals("0", p.user());
    }

    @Test
    void noCommandAnywhereIsAnError() {
        ImageConfig none = new ImageConfig(List.of(), List.of(), List.of(), "", "");
        assertThrows(IllegalArgumentException.class, () -> none.applyTo(container(List.of(), List.of())));
        assertEquals("/", none.applyTo(container(List.of("/x"), List.of())).cwd());
    }
}
