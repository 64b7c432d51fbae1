package config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin and access log keys: defaults, every form of the address, and the off spellings. */
class ObservabilityConfigTest {
    private static final String ROUTES = """
            routes:
              - {host: 127.0.0.1, port: 8080, endpoints: [{host: a, port: 1}]}
            """;

    private static Config parse(String extra) throws ConfigException {
        return ConfigLoader.parse(Path.of("x.yaml"), ROUTES + extra);
    }

    @Test
    void bothAreOffWhenAbsent() throws Exception {
        Config config = parse("");
        assertEquals(Optional.empty(), config.admin());
        assertEquals(AccessLog.OFF, config.accessLog());
    }

    @Test
    void theAdminAddressDefaultsToLoopback() throws Exception {
        assertEquals(Optional.of(new Admin("127.0.0.1", 9900, null)), parse("admin:\n").admin());
        assertEquals(Optional.of(new Admin("127.0.0.1", 9900, null)), parse("admin: {}\n").admin());
        assertEquals(Optional.of(new Admin("127.0.0.1", 9911, null)), parse("admin: {address: 9911}\n").admin());
        assertEquals(Optional.of(new Admin("0.0.0.0", 9900, null)), parse("admin: {address: '0.0.0.0:9900'}\n").admin());
    }

    @Test
    void anIpv6AddressLosesItsBrackets() throws Exception {
        Admin admin = ConfigLoader.load(Path.of("test/config/golden/observability.yaml")).admin().orElseThrow();
        assertEquals(new Admin("::1", 9901, null), admin);
        assertEquals("[::1]:9901", admin.address());
    }

    @Test
    void theTokenIsReadTrimmed(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
        Admin admin = parse("admin: {token_file: " + token + "}\n").admin().orElseThrow();
        assertEquals(token, admin.tokenFile());
        assertEquals("s3cret", admin.readToken());
    }

    @Test
    void anEmptyTokenFileIsAnError(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> parse("admin:\n  token_file: " + token + "\n"));
        assertEquals(List.of("x.yaml:4:15: token_file " + token + " is empty (expected a readable file holding the admin API token)"),
                e.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void accessLogTargetsAndFormats() throws Exception {
        assertEquals(new AccessLog(AccessLog.Target.STDOUT, null, AccessLog.Format.TEXT), parse("access_log: stdout\n").accessLog());
        assertEquals(new AccessLog(AccessLog.Target.FILE, Path.of("/tmp/featherlb-access.log"), AccessLog.Format.JSON),
                ConfigLoader.load(Path.of("test/config/golden/observability.yaml")).accessLog());
        // YAML 1.1 reads these as booleans; each means off
        for (String off : List.of("off", "OFF", "no", "false", "'off'")) {
            assertEquals(AccessLog.Target.OFF, parse("access_log: " + off + "\n").accessLog().target(), off);
        }
        ConfigException on = assertThrows(ConfigException.class, () -> parse("access_log: on\n"));
        assertEquals(List.of("x.yaml:3:13: access_log is 'on' (expected off, stdout or a file path)"),
                on.errors().stream().map(ConfigError::toString).toList());
    }
}
