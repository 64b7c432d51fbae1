package config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * A route's PROXY protocol settings (HAProxy's {@code doc/proxy-protocol.txt}): the header it
 * writes to its endpoints, and whether its connections must start with one.
 *
 * @param send   {@code send_proxy}: the header written to each endpoint first (default off); an
 *               endpoint's own {@code send_proxy} overrides it ({@link #sendTo})
 * @param accept {@code accept_proxy}, or null when absent: connections are taken as they come
 */
public record ProxyProtocol(Send send, Accept accept) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    /** Neither sent nor accepted: a route without the two keys. */
    public static final ProxyProtocol OFF = new ProxyProtocol(Send.OFF, null);

    /** Which header featherlb writes to an endpoint. */
    public enum Send {
        OFF, V1, V2;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The value of {@code send_proxy: name}, or null when unknown. */
        public static Send byName(String name) {
            for (Send s : values()) if (s.configName().equals(name)) return s;
            return null;
        }
    }

    /**
     * {@code accept_proxy}: a connection from a peer in {@code from} must start with a v1 or v2
     * header within {@code timeout}; a connection from any other peer is closed at once.
     */
    public record Accept(List<Cidr> from, Duration timeout) {
        public Accept {
            from = List.copyOf(from);
        }

        /** Whether {@code peer} may send a header. */
        public boolean trusts(InetAddress peer) {
            for (Cidr cidr : from) if (cidr.contains(peer)) return true;
            return false;
        }
    }

    /** An address block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a single address is a /32 or /128. */
    public record Cidr(InetAddress network, int prefix) {
        public Cidr {
            int bits = network.getAddress().length * 8;
            if (prefix < 0 || prefix > bits) throw new IllegalArgumentException("prefix " + prefix + " of " + bits + " bits");
        }

        /**
         * Whether {@code address} is inside. An IPv4 peer seen by a dual-stack socket as
         * {@code ::ffff:a.b.c.d} is the same peer: Java hands both out as {@link Inet4Address}.
         */
        public boolean contains(InetAddress address) {
            byte[] net = network.getAddress();
            byte[] a = address.getAddress();
            if (net.length != a.length) return false;
            int full = prefix / 8;
            for (int i = 0; i < full; i++) if (net[i] != a[i]) return false;
            int rest = prefix % 8;
            if (rest == 0) return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (net[full] & mask) == (a[full] & mask);
        }

        /**
         * {@code text} as a block: an address, or an address / prefix length. Null when it is neither
         * (host names are not accepted: trust is never given by a resolver's answer).
         */
        public static Cidr parse(String text) {
            int slash = text.indexOf('/');
            String host = slash < 0 ? text : text.substring(0, slash);
            if (host.isEmpty() || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) return null;
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(host);
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (host.contains(":") && address instanceof Inet4Address) return null; // ::ffff:a.b.c.d: write a.b.c.d
            int bits = address instanceof Inet6Address ? 128 : 32;
            int prefix = bits;
            if (slash >= 0) {
                String digits = text.substring(slash + 1);
                if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) return null;
                prefix = Integer.parseInt(digits);
                if (prefix > bits) return null;
            }
            return new Cidr(address, prefix);
        }

        @Override
        public String toString() {
            return network.getHostAddress() + "/" + prefix;
        }
    }

    /** The header {@code endpoint} gets: its own {@code send_proxy}, else the route's. */
    public Send sendTo(Endpoint endpoint) {
        return endpoint.sendProxy() != null ? endpoint.sendProxy() : send;
    }
}
