package config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** send_proxy and accept_proxy as the issue writes them; their mistakes are golden files (proxy-protocol.yaml). */
class ProxyConfigTest {
    @Test
    void theIssuesExampleLoadsWithEveryDefault() throws Exception {
        Config config = ConfigLoader.parse(Path.of("proxy.yaml"), """
                routes:
                  - name: web
                    host: 0.0.0.0
                    port: 8080
                    send_proxy: v2
                    accept_proxy:
                      from: [10.0.0.0/8, 127.0.0.1, "2001:db8::/32"]
                    endpoints:
                      - {host: web1, port: 80}
                      - {host: web2, port: 80, send_proxy: v1}
                      - {host: web3, port: 80, send_proxy: off}
                  - name: plain
                    host: 0.0.0.0
                    port: 8081
                    endpoints: [{host: web1, port: 80}]
                """);
        Route web = config.routes().getFirst();
        assertEquals(ProxyProtocol.Send.V2, web.proxy().send());
        assertEquals(ProxyProtocol.DEFAULT_TIMEOUT, web.proxy().accept().timeout());
        assertEquals(Duration.ofSeconds(3), ProxyProtocol.DEFAULT_TIMEOUT);
        assertEquals(List.of(ProxyProtocol.Send.V2, ProxyProtocol.Send.V1, ProxyProtocol.Send.OFF),
                web.endpoints().stream().map(web.proxy()::sendTo).toList(), "an endpoint's own send_proxy wins");
        assertTrue(web.proxy().accept().trusts(InetAddress.ofLiteral("10.1.2.3")));
        assertTrue(web.proxy().accept().trusts(InetAddress.ofLiteral("127.0.0.1")));
        assertFalse(web.proxy().accept().trusts(InetAddress.ofLiteral("127.0.0.2")));
        assertTrue(web.proxy().accept().trusts(InetAddress.ofLiteral("2001:db8:1::1")));
        assertEquals(ProxyProtocol.OFF, config.routes().get(1).proxy());
        assertNull(config.routes().get(1).proxy().accept());
    }

    @Test
    void aTimeoutIsRead() throws Exception {
        Config config = ConfigLoader.parse(Path.of("proxy.yaml"), """
                routes:
                  - {host: 127.0.0.1, port: 8080, accept_proxy: {from: [127.0.0.0/8], timeout: 500ms}, endpoints: [{host: a, port: 1}]}
                """);
        assertEquals(Duration.ofMillis(500), config.routes().getFirst().proxy().accept().timeout());
    }

    @Test
    void cidrsAreExact() {
        assertEquals(8, ProxyProtocol.Cidr.parse("10.0.0.0/8").prefix());
        assertTrue(ProxyProtocol.Cidr.parse("10.0.0.0/0").contains(InetAddress.ofLiteral("203.0.113.9")));
        assertTrue(ProxyProtocol.Cidr.parse("192.168.1.128/25").contains(InetAddress.ofLiteral("192.168.1.200")));
        assertFalse(ProxyProtocol.Cidr.parse("192.168.1.128/25").contains(InetAddress.ofLiteral("192.168.1.127")));
        assertFalse(ProxyProtocol.Cidr.parse("::/0").contains(InetAddress.ofLiteral("10.0.0.1")), "an IPv6 block holds no IPv4 peer");
        assertNull(ProxyProtocol.Cidr.parse("10.0.0.0/33"));
        assertNull(ProxyProtocol.Cidr.parse("localhost"));
        assertNull(ProxyProtocol.Cidr.parse("10.0.0.0/"));
        assertNull(ProxyProtocol.Cidr.parse("::ffff:10.0.0.1"));
    }
}
