package config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Fuzz target for the config loader: any text is a {@link Config} or a {@link ConfigException}
 * with at least one error, each placed inside the text when it has a place; never another
 * exception. A hang is a finding too: {@code make fuzz} runs Jazzer with a time limit per input,
 * and the loader's bounds (ConfigLoader's MAX_* and YamlLimits) are what keep every input fast.
 * Run on its corpus by {@code fuzz.CorpusTest}.
 */
public final class ConfigFuzzer {
    private static final Path FILE = Path.of("fuzz.yaml");

    private ConfigFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            Config config = ConfigLoader.parse(FILE, text);
            if (config.routes().isEmpty()) throw new AssertionError("a config without routes was accepted");
        } catch (ConfigException e) {
            if (e.errors().isEmpty()) throw new AssertionError("a ConfigException without an error");
            // YAML's line breaks (snakeyaml's numbering): CR LF, CR, LF, NEL, LS and PS
            long lines = 1 + text.replace("\r\n", "\n").chars().filter(c -> c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029).count();
            for (ConfigError error : e.errors()) {
                if (!error.file().equals(FILE.toString())) throw new AssertionError("an error in another file: " + error);
                if (error.line() > lines + 1 || error.line() > 0 && error.column() < 1) {
                    throw new AssertionError("an error outside the text of " + lines + " lines: " + error);
                }
                if (error.message().isBlank()) throw new AssertionError("an error without a message: " + error);
            }
        }
    }
}
