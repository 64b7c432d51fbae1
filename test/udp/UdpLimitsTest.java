package udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.Config;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;
import testing.LogLines;
import traffic.ConnectionRecord;
import traffic.Outcome;

/** The session table's bound under a one-way flood, and reloads while sessions are open. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class UdpLimitsTest {

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void aFloodFromTenThousandSourcePortsStaysWithinMaxSessionsAndTheExcessIsCountedNotLogged() throws Exception {
        try (DatagramSocket sink = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)); // an endpoint that never answers
             LogLines log = LogLines.of(UdpListener.class)) {
            sink.setReceiveBufferSize(4 << 20);
            Config config = UdpForwardingTest.config(UdpForwardingTest.dnsRoute("roundrobin", "max_sessions: 100, idle: 1h", "", sink.getLocalPort()));
            try (Server server = new Server(config)) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                UdpListener listener = server.udpListeners().getFirst();
                long before = openDescriptors();
                byte[] datagram = "<14>flood".getBytes();
                int total = 10_000, burst = 100;
                // each source port stays bound until the end: a closed one could be handed out again, to a later
                // socket of the flood, whose datagram would then go to the first one's session
                List<DatagramSocket> clients = new java.util.ArrayList<>();
                try {
                    for (int sent = 0; sent < total; ) {
                        // a burst from 100 new source ports, then wait until each is a session or a drop: bounded in rate, exact in count
                        for (int i = 0; i < burst; i++, sent++) {
                            DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                            clients.add(s);
                            s.send(new DatagramPacket(datagram, datagram.length, at));
                        }
                        int expected = sent;
                        UdpForwardingTest.await(expected + " datagrams seen", () -> listener.sessions() + listener.drops().get(Drop.MAX_SESSIONS) == expected);
                        assertTrue(listener.sessions() <= 100, listener.sessions() + " sessions");
                    }
                    assertEquals(100, listener.sessions());
                    assertEquals(total - 100, listener.drops().get(Drop.MAX_SESSIONS));
                    assertEquals(100, server.pools().getFirst().backend(0).active());
                    long grown = openDescriptors() - before - clients.size();
                    assertTrue(grown <= 100 + 10, "one socket per session, none for a dropped datagram: " + grown + " descriptors more");
                } finally {
                    clients.forEach(DatagramSocket::close);
                }
                assertEquals(List.of(), log.lines(), "no log line per dropped datagram");
                assertEquals(Map.of("dns", Map.of("max_sessions", (long) total - 100, "no_endpoint", 0L, "too_large", 0L, "queue_full", 0L, "late_reply", 0L,
                        "proxy_untrusted", 0L, "proxy_invalid", 0L, "proxy_crc", 0L)),
                        server.udpDrops());
            }
        }
    }

    @Test
    void aReloadKeepsTheEndpointOfSessionsInFlightLosesNoAnswerAndARemovedRouteEndsItsSessions() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            int port = UdpPeers.freePort();
            String onA = route("dns", port, a), onB = route("dns", port, b);
            List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
            try (Server server = new Server(UdpForwardingTest.config(onA), dial.Dialer.TCP, records::add);
                 DatagramSocket inFlight = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                assertEquals("192.0.2.1", UdpPeers.query(inFlight, at, "a.test", 3000));

                assertEquals("~dns", server.reload(UdpForwardingTest.config(onB)).summary());
                assertEquals("192.0.2.1", UdpPeers.query(inFlight, at, "a.test", 3000), "the session in flight keeps its endpoint");
                assertEquals("192.0.2.2", UdpForwardingTest.queryFromNewPort(at), "a new session gets the new endpoint");

                // reloads while queries flow, each from a port of its own: every one answered
                int lost = 0;
                for (int i = 0; i < 200; i++) {
                    if (i % 20 == 0) server.reload(UdpForwardingTest.config(i % 40 == 0 ? onA : onB));
                    if (UdpForwardingTest.queryFromNewPort(at) == null) lost++;
                }
                assertEquals(0, lost, "answers lost across 10 reloads");

                int elsewhere = UdpPeers.freePort();
                String changes = server.reload(UdpForwardingTest.config(route("other", elsewhere, b))).summary();
                assertEquals("+other -dns", changes);
                UdpForwardingTest.await("the removed route's session ended", () -> records.stream()
                        .anyMatch(r -> r.route().equals("dns") && r.outcome() == Outcome.SHUTDOWN));
                try (DatagramSocket rebound = new DatagramSocket(at)) {
                    assertEquals(port, rebound.getLocalPort(), "the removed route's port is free again");
                }
                assertEquals("192.0.2.2", UdpForwardingTest.queryFromNewPort(server.udpAddresses().getFirst()));
            }
        }
    }

    private static String route(String name, int port, int endpoint) {
        return "routes:\n  - name: " + name + "\n    protocol: udp\n    host: 127.0.0.1\n    port: " + port + "\n    endpoints:\n"
                + "      - {host: 127.0.0.1, port: " + endpoint + "}\n";
    }
}
