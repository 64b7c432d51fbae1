package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ways users start featherlb through jbang: from a URL without cloning, as an installed app,
 * and by its alias in jbang-catalog.json. All go through the repository's ./jbang launcher, as a
 * user without jbang would.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JbangTest {

    private static String run(Map<String, String> env, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "finished");
        assertEquals(0, p.exitValue(), output);
        return output;
    }

    @Test
    void runsFromAUrlWithoutAClone(@TempDir Path jbangHome) throws Exception {
        // a web server over the checkout: jbang fetches featherlb.java and every //SOURCES file by URL
        HttpServer web = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Path.of("").toAbsolutePath(), SimpleFileServer.OutputLevel.NONE);
        web.start();
        try {
            String url = "http://127.0.0.1:" + web.getAddress().getPort() + "/featherlb.java";
            String output = run(Map.of("JBANG_DIR", jbangHome.toString()),
                    List.of("./jbang", "--fresh", url, "--validate", "--config", "test/config/golden/full.yaml"));
            assertTrue(output.contains("test/config/golden/full.yaml: ok, 1 route(s)"), output);
        } finally {
            web.stop(0);
        }
    }

    @Test
    void installsAsAFeatherlbCommand(@TempDir Path dir) throws Exception {
        Path jbangHome = dir.resolve("jbang-home");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        // the installed command calls `jbang`: here that is the repository's launcher, on PATH
        Files.createSymbolicLink(bin.resolve("jbang"), Path.of("jbang").toAbsolutePath());
        Map<String, String> env = Map.of("JBANG_DIR", jbangHome.toString(),
                "PATH", bin + ":" + jbangHome.resolve("bin") + ":" + System.getenv("PATH"));
        run(env, List.of("./jbang", "app", "install", "--force", "--name", "featherlb", "featherlb.java"));
        String version = run(env, List.of(jbangHome.resolve("bin/featherlb").toString(), "--version"));
        assertTrue(version.contains("featherlb "), version);
    }

    @Test
    void runsByItsCatalogAlias(@TempDir Path jbangHome) throws Exception {
        // `jbang featherlb@<owner>/<repo>` reads <repo>'s jbang-catalog.json from GitHub; a path to
        // the file is the same lookup without the network, and script-ref resolves beside the file
        String catalog = Path.of("jbang-catalog.json").toAbsolutePath().toString();
        String version = run(Map.of("JBANG_DIR", jbangHome.toString()),
                List.of("./jbang", "--quiet", "featherlb@" + catalog, "--version"));
        // a line of its own: jbang's "No alias found with name 'featherlb'" must not pass
        assertTrue(version.lines().anyMatch(l -> l.matches("featherlb \\d+\\..*")), version);
    }
}
