package config;

import java.time.Duration;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The keys of a route that bound what one client may do: {@code per_client} and
 * {@code timeouts.client_first_byte}, for {@link ConfigLoader}, as {@link TlsProxySections} reads
 * the PROXY and SNI keys.
 */
final class LimitSections {
    private LimitSections() {
    }

    /** {@code per_client}: {@code max_connections} and {@code max_rate}; {@link PerClient#NONE} when absent. */
    static PerClient perClient(Problems problems, Section route, String label) {
        Section s = route.section("per_client", "per_client of " + label);
        if (s == null) return PerClient.NONE;
        int maxConnections = s.integer("max_connections", 0, 0, 1_000_000);
        PerClient.Rate maxRate = null;
        Node value = s.value("max_rate");
        if (value != null) {
            String text = value instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL) ? scalar.getValue() : null;
            maxRate = text == null ? null : PerClient.Rate.parse(text);
            if (maxRate == null) {
                problems.at(value, "max_rate " + (text == null ? "is " + Section.describe(value) : "'" + text.strip() + "' is not a rate")
                        + " (expected " + PerClient.Rate.EXPECTED + ")");
            }
        }
        s.finish();
        return new PerClient(maxConnections, maxRate);
    }

    /** {@code client_first_byte} of a route's {@code timeouts}: {@code 0s} (the default) is off. */
    static Duration clientFirstByte(Section timeouts) {
        return timeouts.durationOrZero("client_first_byte", Duration.ZERO);
    }
}
