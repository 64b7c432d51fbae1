package config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The admin HTTP server: Prometheus metrics, the JSON API and the dashboard ({@code admin:}).
 *
 * @param host      address to bind, without brackets ({@code address: 127.0.0.1:9900}; a bare
 *                  port such as {@code 9900} binds loopback, so that nothing is exposed by accident)
 * @param port      port to bind, 1..65535 (default 9900)
 * @param tokenFile file whose content (trimmed) write calls must present as
 *                  {@code Authorization: Bearer <token>}; null when absent: no token
 */
public record Admin(String host, int port, Path tokenFile) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 9900;
    private static final String EXPECTED_ADDRESS = "host:port, such as 127.0.0.1:9900";

    /** {@code host:port}, with brackets around an IPv6 address. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The {@code admin:} section of the config, or empty when it is absent (admin off). */
    static Optional<Admin> read(Problems problems, Section top) {
        if (!top.has("admin")) return Optional.empty();
        Node node = top.value("admin");
        if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL)) {
            return Optional.of(new Admin(DEFAULT_HOST, DEFAULT_PORT, null)); // a bare `admin:` takes the defaults
        }
        Section s = top.section("admin", "admin");
        if (s == null) return Optional.empty(); // reported: not a mapping
        String address = s.string("address", DEFAULT_HOST + ":" + DEFAULT_PORT, EXPECTED_ADDRESS);
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        int colon = address.lastIndexOf(':');
        String portText = colon < 0 ? address : address.substring(colon + 1);
        if (colon > 0) host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        Node at = s.has("address") ? s.value("address") : node;
        try {
            port = Integer.parseInt(portText);
            if (port < 1 || port > 65535) {
                problems.at(at, "admin address port " + port + " is out of range (expected an integer 1..65535)");
            }
        } catch (NumberFormatException e) {
            problems.at(at, "admin address '" + address + "' has no port number (expected " + EXPECTED_ADDRESS + ")");
        }
        Path tokenFile = null;
        String token = s.string("token_file", null, "a path to a file holding the admin API token");
        if (token != null) {
            tokenFile = Path.of(token);
            String problem = checkToken(tokenFile);
            if (problem != null) {
                problems.at(s.value("token_file"), "token_file " + token + " " + problem + " (expected a readable file holding the admin API token)");
            }
        }
        s.finish();
        return Optional.of(new Admin(host, port, tokenFile));
    }

    /** Reads the token: the file's content without surrounding white space (a trailing newline is usual). */
    public String readToken() throws IOException {
        return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    }

    /** What is wrong with a token file, or null. Checked at load time so that --validate finds it. */
    private static String checkToken(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).isBlank() ? "is empty" : null;
        } catch (NoSuchFileException e) {
            return "does not exist";
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage();
        }
    }
}
