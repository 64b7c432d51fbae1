package config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that are not what a config or token file should be: a device, a FIFO, a huge file, a
 * huge line or string. Each is refused with a message, quickly, and without reading it whole.
 */
class HostileFilesTest {
    private static final String ROUTES = """
            routes:
              - host: 0.0.0.0
                port: 8080
                endpoints:
                  - {host: localhost, port: 8081}
            """;
    /** Far below what the defects took (a hang, or 13-19 s to an OutOfMemoryError), far above a refusal. */
    private static final Duration QUICK = Duration.ofSeconds(5);

    private static List<String> errors(Path file) {
        ConfigException e = assertTimeoutPreemptively(QUICK, () -> assertThrows(ConfigException.class, () -> ConfigLoader.load(file)));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    private static Path fifo(Path dir, String name) throws Exception {
        Path fifo = dir.resolve(name);
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        return fifo;
    }

    @Test
    void devZeroAsTheConfigIsRefused() {
        assertEquals(List.of("/dev/zero: is not a regular file but a device (expected a featherlb YAML config file)"),
                errors(Path.of("/dev/zero")));
    }

    @Test
    void aFifoAsTheConfigIsRefusedWithoutWaitingForAWriter(@TempDir Path dir) throws Exception {
        Path fifo = fifo(dir, "featherlb.yaml");
        assertEquals(List.of(fifo + ": is not a regular file but a FIFO or socket (expected a featherlb YAML config file)"), errors(fifo));
    }

    @Test
    void aFolderAsTheConfigIsRefused(@TempDir Path dir) {
        assertEquals(List.of(dir + ": is not a regular file but a folder (expected a featherlb YAML config file)"), errors(dir));
    }

    @Test
    void aLinkToARegularFileIsRead(@TempDir Path dir) throws Exception {
        Path real = Files.writeString(dir.resolve("real.yaml"), ROUTES);
        Path link = Files.createSymbolicLink(dir.resolve("featherlb.yaml"), real);
        assertEquals(1, ConfigLoader.load(link).routes().size());
    }

    @Test
    void aConfigOverFourMebibytesIsRefusedWithItsSize(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("featherlb.yaml");
        Files.writeString(file, ROUTES + ("# " + "x".repeat(98) + "\n").repeat(50_000)); // 5,000,000 bytes and a bit, short lines
        long size = Files.size(file);
        assertEquals(List.of(file + ": is " + size + " bytes (expected a featherlb YAML config file of at most 4194304 bytes, 4 MiB)"), errors(file));
    }

    @Test
    void aTenMegabyteCommentOrStringIsRefusedQuickly(@TempDir Path dir) throws Exception {
        String huge = "x".repeat(10_000_000);
        for (String text : List.of(ROUTES + "# " + huge + "\n", ROUTES + "name: \"" + huge + "\"\n")) {
            ConfigException e = assertTimeoutPreemptively(QUICK, () -> assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse(Path.of("x.yaml"), text)));
            assertEquals(List.of("x.yaml: is " + text.length() + " characters (expected a featherlb YAML config file of at most 4194304 characters)"),
                    e.errors().stream().map(ConfigError::toString).toList());
        }
    }

    @Test
    void aLineOverSixtyFourKibibytesIsRefusedAtItsLine() {
        String text = ROUTES + "# " + "x".repeat(2_000_000) + "\n";
        ConfigException e = assertTimeoutPreemptively(QUICK, () -> assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(Path.of("x.yaml"), text)));
        assertEquals(List.of("x.yaml:6:65537: line 6 is 2000002 characters long (expected lines of at most 65536 characters;"
                        + " a long string can be split over lines with | or >)"),
                e.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void aStringOverSixtyFourKibibytesIsRefusedAtItsPosition() {
        String lines = ("  " + "y".repeat(78) + "\n").repeat(1000); // 79,000 characters in lines of 79
        String text = ROUTES.replace("    port: 8080\n", "    port: 8080\n    name: |\n" + lines.indent(4));
        ConfigException e = assertTimeoutPreemptively(QUICK, () -> assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(Path.of("x.yaml"), text)));
        assertEquals(List.of("x.yaml:4:11: a string of 79000 characters (expected at most 65536 characters in one value)"),
                e.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void aTokenFileThatIsADeviceOrAFifoOrHugeIsAConfigError(@TempDir Path dir) throws Exception {
        Path fifo = fifo(dir, "token");
        Path huge = Files.writeString(dir.resolve("huge-token"), "t".repeat(100_000));
        for (Path token : List.of(Path.of("/dev/zero"), fifo, huge)) {
            Path file = Files.writeString(dir.resolve("featherlb.yaml"), ROUTES + "admin:\n  token_file: " + token + "\n");
            List<String> errors = errors(file);
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.getFirst().startsWith(file + ":7:15: token_file " + token + " "), errors.toString());
            assertTrue(errors.getFirst().contains(token.equals(huge) ? "is 100000 bytes" : "is not a regular file"), errors.toString());
        }
    }

    @Test
    void theTokenIsReadWithTheSameBound(@TempDir Path dir) throws IOException {
        Path fifo;
        try {
            fifo = fifo(dir, "token");
        } catch (Exception e) {
            throw new IOException(e);
        }
        Admin admin = new Admin("127.0.0.1", 9900, fifo);
        IOException e = assertTimeoutPreemptively(QUICK, () -> assertThrows(IOException.class, admin::readToken));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
}
