package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/**
 * {@code --help} in an 80-column terminal: picocli wraps a line longer than the width wherever the
 * width falls, which once split the config footer mid-comment. {@code COLUMNS} sets the width.
 */
class UsageWidthTest {

    @Test
    void everyLineFitsIn80ColumnsAndNoFooterLineIsWrapped() throws Exception {
        var help = Featherlb.run(Map.of("COLUMNS", "80"), "--help");
        assertEquals(0, help.exit(), help.err());
        List<String> lines = help.out().lines().toList();
        for (String line : lines) assertTrue(line.length() <= 80, line.length() + " columns: " + line);
        // each footer line comes out whole, so no YAML comment is cut in two
        String[] footer = Class.forName("featherlb").getAnnotation(Command.class).footer();
        for (String line : footer) {
            assertTrue(lines.contains(line.stripTrailing()), "footer line wrapped or missing: '" + line + "'\n" + help.out());
        }
        assertTrue(help.out().contains("generate-completion"), "the completion command is listed: " + help.out());
    }

    @Test
    void columnsWidensTheHelpToo() throws Exception {
        // the one-paragraph description is longer than 80 columns: at 120 it wraps later
        var help = Featherlb.run(Map.of("COLUMNS", "120"), "--help");
        assertEquals(0, help.exit(), help.err());
        assertTrue(help.out().lines().anyMatch(l -> l.length() > 80), help.out());
        assertTrue(help.out().lines().allMatch(l -> l.length() <= 120), help.out());
    }
}
