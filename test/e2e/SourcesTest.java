package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** jbang drops globs when it runs a script from a URL, so e2e.java lists each source: all of them. */
class SourcesTest {
    @Test
    void e2eJavaListsEverySourceOfPackageE2e() throws Exception {
        List<String> listed = Files.readAllLines(Path.of("e2e.java")).stream()
                .filter(l -> l.startsWith("//SOURCES "))
                .flatMap(l -> Arrays.stream(l.substring("//SOURCES ".length()).trim().split("\\s+")))
                .sorted().toList();
        List<String> onDisk;
        try (Stream<Path> files = Files.list(Path.of("e2e"))) {
            onDisk = files.map(p -> "e2e/" + p.getFileName()).filter(n -> n.endsWith(".java")).sorted().toList();
        }
        assertEquals(onDisk, listed);
    }
}
