package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code featherlb generate-completion} prints picocli's bash/zsh completion script; here bash
 * sources it and asks it to complete, as Tab would.
 */
class CompletionTest {

    @Test
    void theScriptCompletesOptionsAndTheSubcommandInBash(@TempDir Path dir) throws Exception {
        var r = Featherlb.run("generate-completion");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("complete -F _complete_featherlb"), r.out());
        Path script = Files.writeString(dir.resolve("featherlb-completion.bash"), r.out());

        assertTrue(complete(script, "--va").contains("--validate"), "options");
        assertTrue(complete(script, "--con").contains("--config"), "options");
        assertTrue(complete(script, "gen").contains("generate-completion"), "subcommands");
    }

    /** What bash offers for {@code featherlb WORD<Tab>}, one candidate a line. */
    private static String complete(Path script, String word) throws Exception {
        String program = """
                source "$1"
                COMP_WORDS=(featherlb "$2"); COMP_CWORD=1; COMP_LINE="featherlb $2"; COMP_POINT=${#COMP_LINE}
                _complete_featherlb
                printf '%s\\n' "${COMPREPLY[@]}"
                """;
        Process p = new ProcessBuilder("bash", "-c", program, "bash", script.toString(), word).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
