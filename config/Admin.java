package config;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
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
    /** A host name or IPv4 address: what the address may hold outside brackets. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
    /** A token is a line of text; 64 KiB is 100 times the longest in use (a JWT of a few KiB). */
    public static final int MAX_TOKEN_BYTES = 64 * 1024;
    private static final String TOKEN_WHAT = "a file holding the admin API token";

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
        Node at = s.has("address") ? s.value("address") : node;
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        String portText;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0) {
                problems.at(at, "admin address '" + address + "' has a '[' without its ']' (expected " + EXPECTED_ADDRESS + " or [::1]:9900)");
                portText = null; // which part is the port is anyone's guess
            } else {
                host = address.substring(1, close);
                portText = address.startsWith(":", close + 1) ? address.substring(close + 2) : "";
                if (!isIpv6(host)) {
                    problems.at(at, "admin address '" + address + "' has '" + host + "' in brackets (expected an IPv6 address such as [::1]:9900)");
                }
            }
        } else {
            int colon = address.lastIndexOf(':');
            portText = colon < 0 ? address : address.substring(colon + 1);
            if (colon > 0) host = address.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                problems.at(at, "admin address '" + address + "' has an IPv6 address without brackets (expected [" + host + "]:" + portText + ")");
            } else if (!HOST.matcher(host).matches()) {
                problems.at(at, "admin address '" + address + "' has '" + host + "', not a host name or address (expected " + EXPECTED_ADDRESS + ")");
            }
        }
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
                if (port < 1 || port > 65535) {
                    problems.at(at, "admin address port " + port + " is out of range (expected an integer 1..65535)");
                }
            } catch (NumberFormatException e) {
                problems.at(at, "admin address '" + address + "' has no port number (expected " + EXPECTED_ADDRESS + ")");
            }
        }
        Path tokenFile = null;
        String token = s.string("token_file", null, "a path to a file holding the admin API token");
        if (token != null) {
            tokenFile = s.path("token_file", token, "a readable file holding the admin API token");
            String problem = tokenFile == null ? null : checkToken(tokenFile);
            if (problem != null) problems.at(s.value("token_file"), "token_file " + token + " " + problem);
        }
        s.finish();
        return Optional.of(new Admin(host, port, tokenFile));
    }

    /**
     * Reads the token: the file's content without surrounding white space (a trailing newline is
     * usual). Only a regular file of at most {@link #MAX_TOKEN_BYTES} is read (see {@link SmallFile}).
     */
    public String readToken() throws IOException {
        return new String(SmallFile.read(tokenFile, MAX_TOKEN_BYTES, TOKEN_WHAT), StandardCharsets.UTF_8).strip();
    }

    /** What is wrong with a token file, ending with what was expected, or null. Checked at load time so that --validate finds it. */
    private static String checkToken(Path file) {
        try {
            return new String(SmallFile.read(file, MAX_TOKEN_BYTES, TOKEN_WHAT), StandardCharsets.UTF_8).isBlank()
                    ? "is empty (expected a readable file holding the admin API token)" : null;
        } catch (NoSuchFileException e) {
            return "does not exist (expected a readable file holding the admin API token)";
        } catch (SmallFile.Refused e) {
            return e.getMessage();
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage() + " (expected a readable file holding the admin API token)";
        }
    }

    private static boolean isIpv6(String host) {
        try {
            return InetAddress.ofLiteral(host) instanceof Inet6Address;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
