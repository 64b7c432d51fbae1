package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * jbang drops globs when it runs a script from a URL, so featherlb.java names every source file;
 * this keeps that list equal to the files on disk.
 */
class SourcesTest {
    /** Folders that are not part of the balancer: tests, the e2e, bench and soak scripts' own code, build output. */
    private static final List<String> NOT_SHIPPED = List.of("test", "bench", "e2e", "soak", "target", "build", "docs");

    @Test
    void everySourceFileIsListedAndEveryListedFileExists() throws IOException {
        TreeSet<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("featherlb.java"))) {
            if (line.startsWith("//SOURCES ")) listed.addAll(Arrays.asList(line.substring(10).trim().split("\\s+")));
        }
        TreeSet<String> onDisk = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("."))) {
            files.map(p -> Path.of(".").relativize(p).toString().replace('\\', '/'))
                    .filter(p -> p.endsWith(".java") && p.contains("/") && !p.startsWith("."))
                    .filter(p -> !NOT_SHIPPED.contains(p.substring(0, p.indexOf('/'))))
                    .forEach(onDisk::add);
        }
        assertEquals(onDisk, listed);
    }
}
