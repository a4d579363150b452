package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The kata policy cases of the shared test data (regorus' kata tests): requests as kata logs them. */
final class KataPolicyCases {

    static final Path ROOT = Path.of(System.getProperty("cvm.testdata", "/work/shared/testdata"), "kata-policy");

    private static final ObjectMapper JSON = new ObjectMapper();

    record Line(Path file, int number, String requestType, JsonNode input) {
        @Override
        public String toString() {
            return file.getParent().getFileName() + ":" + number + " " + requestType;
        }
    }

    private KataPolicyCases() {
    }

    static List<Path> folders() {
        try (Stream<Path> list = Files.list(ROOT)) {
            return list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Line> lines() {
        List<Line> lines = new ArrayList<>();
        for (Path folder : folders()) {
            Path file = folder.resolve("inputs.txt");
            try {
                List<String> text = Files.readAllLines(file);
                for (int i = 0; i < text.size(); i++) {
                    String line = text.get(i).strip();
                    if (line.isEmpty()) {
                        continue;
                    }
                    JsonNode pair = JSON.readTree(line.replaceFirst("^\\[\"ep\":", "[").replaceFirst(",$", ""));
                    lines.add(new Line(file, i + 1, pair.get(0).asText(), pair.get(1)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }
}
