package fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;

import admin.AdminFuzzer;
import config.ConfigFuzzer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import proxyproto.ProxyHeaderFuzzer;
import tls.ClientHelloFuzzer;

/**
 * The fuzz targets on their checked-in corpus: the seeds, and every finding once fixed, so that
 * {@code make test} replays in seconds what {@code make fuzz} (Jazzer, coverage-guided, minutes per
 * target) found. A target fails by throwing, as it does under Jazzer.
 */
class CorpusTest {
    /** The corpus folder under test/fuzz/corpus/ and the target it feeds; build/fuzz.sh names the same. */
    static final Map<String, Consumer<byte[]>> TARGETS = Map.of(
            "config", ConfigFuzzer::fuzzerTestOneInput,
            "admin", AdminFuzzer::fuzzerTestOneInput,
            "proxyheader", ProxyHeaderFuzzer::fuzzerTestOneInput,
            "clienthello", ClientHelloFuzzer::fuzzerTestOneInput);
    static final Path CORPUS = Path.of("test/fuzz/corpus");

    static Stream<Arguments> inputs() throws IOException {
        List<Arguments> all = new java.util.ArrayList<>();
        for (String target : TARGETS.keySet().stream().sorted().toList()) {
            try (Stream<Path> files = Files.list(CORPUS.resolve(target))) {
                files.sorted().forEach(file -> all.add(Arguments.of(target, file.getFileName().toString())));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}/{1}")
    @MethodSource("inputs")
    void theTargetHoldsOnItsCorpus(String target, String file) throws IOException {
        TARGETS.get(target).accept(Files.readAllBytes(CORPUS.resolve(target).resolve(file)));
    }

    @Test
    void everyTargetHasACorpus() throws IOException {
        for (String target : TARGETS.keySet()) {
            try (Stream<Path> files = Files.list(CORPUS.resolve(target))) {
                assertFalse(files.findAny().isEmpty(), "test/fuzz/corpus/" + target + " is empty");
            }
        }
    }
}
