package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The image starts featherlb with {@code java -jar}, which ignores the script's {@code //RUNTIME_OPTIONS};
 * the Dockerfile repeats them, and this keeps the two equal.
 */
class DockerfileTest {
    @Test
    void theImageRunsTheJvmWithTheScriptsRuntimeOptions() throws IOException {
        List<String> script = Files.readAllLines(Path.of("featherlb.java")).stream()
                .filter(l -> l.startsWith("//RUNTIME_OPTIONS "))
                .flatMap(l -> Arrays.stream(l.substring("//RUNTIME_OPTIONS ".length()).trim().split("\\s+")))
                .toList();
        assertTrue(!script.isEmpty(), "featherlb.java declares //RUNTIME_OPTIONS");
        Matcher entry = Pattern.compile("(?m)^ENTRYPOINT \\[(.*)]$").matcher(Files.readString(Path.of("Dockerfile")));
        assertTrue(entry.find(), "the Dockerfile has an exec-form ENTRYPOINT");
        List<String> words = Arrays.stream(entry.group(1).split(",")).map(w -> w.strip().replaceAll("^\"|\"$", "")).toList();
        assertEquals("java", words.getFirst());
        assertEquals(script, words.subList(1, words.indexOf("-jar")), "the options before -jar");
    }
}
