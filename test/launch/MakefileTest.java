package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code make help} is what a newcomer types first: every .PHONY target has a {@code ##} description
 * and is listed. Its grep once skipped names with digits, so {@code make e2e} was missing.
 */
class MakefileTest {
    private static final Pattern DESCRIBED = Pattern.compile("^([A-Za-z0-9_.-]+):.*?## (.*)$");

    @Test
    void helpListsEveryPhonyTarget() throws Exception {
        List<String> makefile = Files.readAllLines(Path.of("Makefile"));
        Set<String> phony = new LinkedHashSet<>();
        List<String> described = new ArrayList<>();
        for (String line : makefile) {
            if (line.startsWith(".PHONY:")) phony.addAll(Arrays.asList(line.substring(7).trim().split("\\s+")));
            Matcher m = DESCRIBED.matcher(line);
            if (m.matches()) described.add(m.group(1));
        }
        assertTrue(phony.contains("e2e"), "the Makefile's .PHONY line: " + phony);
        for (String target : phony) assertTrue(described.contains(target), target + " has no '## description'");

        Process p = new ProcessBuilder("make", "--no-print-directory", "help").redirectErrorStream(true).start();
        p.getOutputStream().close();
        String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "make help finished");
        assertEquals(0, p.exitValue(), help);
        List<String> listed = help.lines().map(String::trim).filter(l -> l.startsWith("make "))
                .map(l -> l.substring(5).split("\\s+", 2)[0]).toList();
        assertEquals(described, listed, help);
    }
}
