package dial;

import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;

/**
 * Keeps the JVM's own resolver for host names dialed at connect time (and everything else that
 * calls {@link java.net.InetAddress}), declared first in featherlb's
 * {@code META-INF/services/java.net.spi.InetAddressResolverProvider}.
 *
 * <p>Why it exists: dnsjava (DNS discovery) declares a resolver provider too, whose class is in its
 * {@code META-INF/versions/18}. {@code jbang export fatjar} merges the declarations but writes no
 * {@code Multi-Release: true}, so in the fat jar (the container image) the JVM found dnsjava's
 * declaration, could not load the class, and every host name lookup failed with a
 * {@code ServiceConfigurationError}. The JVM takes the first provider that loads: this one, which
 * answers with the built-in resolver, as dnsjava's own would without {@code org.dnsjava.spi.enable}.
 */
public final class JvmResolver extends InetAddressResolverProvider {
    @Override
    public InetAddressResolver get(Configuration configuration) {
        return configuration.builtinResolver();
    }

    @Override
    public String name() {
        return "featherlb: the JVM's built-in resolver";
    }
}
