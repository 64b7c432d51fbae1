package dial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.spi.InetAddressResolverProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * featherlb's resolver declaration comes before dnsjava's, so that the fat jar (which cannot load
 * dnsjava's provider) resolves host names with the JVM's own resolver.
 */
class JvmResolverTest {
    @Test
    void theFirstDeclaredProviderIsTheJvmsOwnResolverAndHostNamesResolve() throws Exception {
        assertEquals(JvmResolver.class, ServiceLoader.load(InetAddressResolverProvider.class).findFirst().orElseThrow().getClass());
        assertTrue(InetAddress.getByName("localhost").isLoopbackAddress());
    }

    @Test
    void featherlbJavaShipsTheDeclaration() throws Exception {
        assertTrue(Files.readString(Path.of("featherlb.java"))
                .contains("//FILES META-INF/services/java.net.spi.InetAddressResolverProvider=build/inet-address-resolver-provider"));
        assertEquals("dial.JvmResolver", Files.readString(Path.of("build/inet-address-resolver-provider")).strip());
    }
}
