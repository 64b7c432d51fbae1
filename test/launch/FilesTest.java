package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's files reach the classpath only through featherlb.java's {@code //FILES} lines
 * (jbang copies them into the jar, also when it runs the script from a URL): every file in
 * dashboard/ must be listed, as {@code path=path} so that it keeps its folder, and every listed
 * file must exist.
 */
class FilesTest {
    @Test
    void everyDashboardFileIsListedWithItsFolder() throws IOException {
        TreeSet<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("featherlb.java"))) {
            if (!line.startsWith("//FILES ")) continue;
            for (String entry : line.substring(8).trim().split("\\s+")) {
                String[] parts = entry.split("=", 2);
                assertEquals(2, parts.length, entry + ": without target=source, jbang puts the file at the root of the jar");
                if (parts[0].startsWith("META-INF/services/")) { // a service declaration (dial.JvmResolver): its own path in the jar
                    assertEquals(true, Files.isRegularFile(Path.of(parts[1])), entry);
                    continue;
                }
                assertEquals(parts[0], parts[1], entry);
                listed.add(parts[1]);
            }
        }
        TreeSet<String> onDisk = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("dashboard"))) {
            files.forEach(p -> onDisk.add("dashboard/" + p.getFileName()));
        }
        assertEquals(onDisk, listed);
    }
}
