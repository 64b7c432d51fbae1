package udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;

/**
 * {@code send_proxy: v2} on a UDP route against dnsdist (Debian's), which reads a PROXY v2 UDP4
 * header before each datagram from the senders of {@code setProxyProtocolACL} and refuses their
 * datagrams without one: its answer through featherlb shows the header was there and well formed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UdpProxyProtocolTest {

    @Test
    void dnsdistAcceptsTheProxyV2HeaderBeforeEachDatagramAndRefusesDatagramsWithout() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq", "dnsdist");
        try (UdpPeers peers = new UdpPeers()) {
            int backend = UdpPeers.freePort(), dnsdist = UdpPeers.freePort();
            peers.dnsmasq(backend, "192.0.2.9");
            Path conf = Files.createTempFile("featherlb-dnsdist", ".conf");
            Files.writeString(conf, """
                    setSecurityPollSuffix("")
                    setLocal("127.0.0.1:%d")
                    setACL({"127.0.0.0/8"})
                    setProxyProtocolACL({"127.0.0.0/8"})
                    newServer({address="127.0.0.1:%d", healthCheckMode="up"})
                    """.formatted(dnsdist, backend));
            Process dd = peers.start(UdpPeers.binary("dnsdist").toString(), "--supervised", "--disable-syslog", "-C", conf.toString());
            String yaml = UdpForwardingTest.dnsRoute("roundrobin", "responses: 1", "    send_proxy: v2\n", dnsdist);
            try (Server server = new Server(UdpForwardingTest.config(yaml))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                UdpForwardingTest.await("dnsdist answers through featherlb", () -> {
                    try {
                        return "192.0.2.9".equals(UdpForwardingTest.queryFromNewPort(at));
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                for (int i = 0; i < 10; i++) assertEquals("192.0.2.9", UdpForwardingTest.queryFromNewPort(at), "with the header, each query answered");
                try (DatagramSocket direct = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    assertNull(UdpPeers.query(direct, new InetSocketAddress("127.0.0.1", dnsdist), "a.test", 1000),
                            "without a header dnsdist drops the query: the answers above needed it");
                }
                assertEquals(List.of(), List.of(server.udpDrops().get("dns").values().stream().filter(n -> n > 0).toArray()));
            } finally {
                UdpPeers.stop(dd);
                Files.deleteIfExists(conf);
            }
        }
    }
}
