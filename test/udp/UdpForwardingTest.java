package udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.Config;
import config.ConfigLoader;
import dial.ConnectFailure;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import pool.Backend;
import proxy.Server;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * UDP routes against real peers: dnsmasq answering {@code a.test} with 192.0.2.1 or .2 (so the
 * answer says which endpoint served), queried with our own DNS query and with dig; socat as a UDP
 * echo for sizes and counts.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UdpForwardingTest {

    static Config config(String yaml) throws Exception {
        return ConfigLoader.parse(Path.of("udp-test.yaml"), yaml);
    }

    static String dnsRoute(String strategy, String udp, String extra, int... ports) throws IOException {
        StringBuilder b = new StringBuilder("routes:\n  - name: dns\n    protocol: udp\n    host: 127.0.0.1\n    port: " + UdpPeers.freePort()
                + "\n    strategy: " + strategy + "\n");
        if (!udp.isEmpty()) b.append("    udp: {").append(udp).append("}\n");
        b.append(extra);
        b.append("    endpoints:\n");
        for (int port : ports) b.append("      - {host: 127.0.0.1, port: ").append(port).append("}\n");
        return b.toString();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // generous: a busy machine
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    /** One query from a socket of its own, so a source port of its own: a session of its own. */
    static String queryFromNewPort(InetSocketAddress at) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return UdpPeers.query(s, at, "a.test", 3000);
        }
    }

    @Test
    void roundRobinOverDistinctSourcePortsSplitsExactlyAndResponsesOneFreesEachSession() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
            try (Server server = new Server(config(dnsRoute("roundrobin", "responses: 1", "", a, b)), dial.Dialer.TCP, records::add)) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                Map<String, Integer> answers = new TreeMap<>();
                for (int i = 0; i < 100; i++) answers.merge(queryFromNewPort(at), 1, Integer::sum);
                assertEquals(Map.of("192.0.2.1", 50, "192.0.2.2", 50), answers);
                UdpListener listener = server.udpListeners().getFirst();
                await("every session has ended", () -> listener.sessions() == 0 && records.size() == 100);
                List<Backend> backends = server.pools().getFirst().backends();
                for (Backend backend : backends) {
                    assertEquals(50, backend.connections(), "sessions of " + backend);
                    assertEquals(0, backend.active(), "open sessions of " + backend);
                    assertEquals(50, backend.datagramsUp());
                    assertEquals(50, backend.datagramsDown());
                }
                ConnectionRecord first = records.getFirst();
                assertEquals("dns", first.route());
                assertEquals(Outcome.ENDPOINT_CLOSED, first.outcome(), "ended by its one response");
                assertEquals(new traffic.Datagrams(1, 1), first.datagrams());
                assertEquals(UdpPeers.aQuery("a.test", 0).length, first.bytesUp());
            }
        }
    }

    @Test
    void weightsDrainAndBackupsChooseTheEndpointOfEachNewSession() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort(), c = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            peers.dnsmasq(c, "192.0.2.3");
            String yaml = dnsRoute("roundrobin", "responses: 1", "", a).replace("port: " + a + "}",
                    "port: " + a + ", weight: 1}\n      - {host: 127.0.0.1, port: " + b + ", weight: 3}\n      - {host: 127.0.0.1, port: " + c + ", backup: true}");
            try (Server server = new Server(config(yaml))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                Map<String, Integer> answers = new TreeMap<>();
                for (int i = 0; i < 80; i++) answers.merge(queryFromNewPort(at), 1, Integer::sum);
                assertEquals(Map.of("192.0.2.1", 20, "192.0.2.2", 60), answers, "weights 1:3, the backup unused");
                List<Backend> backends = server.pools().getFirst().backends();
                backends.get(1).draining(true);
                for (int i = 0; i < 10; i++) assertEquals("192.0.2.1", queryFromNewPort(at), "the drained one takes no new session");
                backends.get(0).draining(true);
                for (int i = 0; i < 10; i++) assertEquals("192.0.2.3", queryFromNewPort(at), "no primary left: the backup");
            }
        }
    }

    @Test
    void iphashKeepsAClientOnOneEndpointAcrossSessionsAndDigGetsTheAnswer() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq", "dig");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            try (Server server = new Server(config(dnsRoute("iphash", "responses: 1", "", a, b)))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                Map<String, Integer> answers = new TreeMap<>();
                for (int i = 0; i < 40; i++) answers.merge(queryFromNewPort(at), 1, Integer::sum);
                assertEquals(1, answers.size(), "one client address, one endpoint: " + answers);
                String expected = answers.keySet().iterator().next();
                for (int i = 0; i < 3; i++) {
                    Process dig = new ProcessBuilder("dig", "+short", "+tries=1", "+time=3", "-p", String.valueOf(at.getPort()), "@127.0.0.1", "a.test")
                            .redirectErrorStream(true).start();
                    String out = new String(dig.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
                    assertTrue(dig.waitFor(20, TimeUnit.SECONDS));
                    assertEquals(expected, out, "dig through featherlb");
                }
            }
        }
    }

    @Test
    void idleEndsASessionThatRepliesDoNotEnd() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
            try (Server server = new Server(config(dnsRoute("roundrobin", "idle: 300ms", "", a)), dial.Dialer.TCP, records::add);
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                for (int i = 0; i < 3; i++) assertEquals("192.0.2.1", UdpPeers.query(client, at, "a.test", 3000));
                UdpListener listener = server.udpListeners().getFirst();
                assertEquals(1, listener.sessions(), "three queries from one port: one session");
                await("the idle session ended", () -> listener.sessions() == 0);
                assertEquals(1, records.size());
                assertEquals(Outcome.IDLE_TIMEOUT, records.getFirst().outcome());
                assertEquals(new traffic.Datagrams(3, 3), records.getFirst().datagrams());
                assertEquals(0, server.pools().getFirst().backend(0).active());
            }
        }
    }

    @Test
    void aStoppedDnsmasqIsTakenOutByThePassiveChecksAndItsClientsGetTheOther() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort();
            Process first = peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            try (Server server = new Server(config(dnsRoute("roundrobin", "responses: 1", "    passive: {failures: 1, cooldown: 1h}\n", a, b)))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                assertEquals("192.0.2.1", queryFromNewPort(at));
                UdpPeers.stop(first);
                // the next pick goes to the stopped one: its ICMP port unreachable is the failure, the client's retry gets the other
                int lost = 0;
                List<String> answered = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String answer;
                    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                        answer = UdpPeers.query(s, at, "a.test", 500);
                    }
                    if (answer == null) lost++;
                    else answered.add(answer);
                }
                Backend stopped = server.pools().getFirst().backend(0);
                assertFalse(stopped.up(), "port unreachable took it out");
                assertTrue(stopped.connectFailures(ConnectFailure.REFUSED) >= 1);
                assertTrue(lost <= 2, lost + " queries lost"); // the one sent to the stopped one (a datagram is not retried)
                assertTrue(answered.stream().allMatch("192.0.2.2"::equals), answered.toString());
            }
        }
    }

    @Test
    void anActiveSendExpectCheckOverUdpFindsAStoppedDnsmasq() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort();
            Process first = peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            String query = HexFormat.of().formatHex(UdpPeers.aQuery("a.test", 0xbeef));
            String check = "    health_check: {type: send_expect, send_hex: \"" + query + "\", expect_hex: \"beef\", interval: 100ms, timeout: 100ms, rise: 1, fall: 2}\n";
            try (Server server = new Server(config(dnsRoute("roundrobin", "responses: 1", check, a, b)))) {
                server.start();
                Backend stopped = server.pools().getFirst().backend(0);
                await("both are checked up", () -> server.pools().getFirst().backends().stream().allMatch(Backend::up));
                UdpPeers.stop(first);
                await("the check took the stopped one out", () -> !stopped.up());
                InetSocketAddress at = server.udpAddresses().getFirst();
                for (int i = 0; i < 10; i++) assertEquals("192.0.2.2", queryFromNewPort(at));
            }
        }
    }

    @Test
    void theLargestDatagramAndTenThousandOfRandomSizesComeBackWholeAndNoneLost() throws Exception {
        UdpPeers.assumeInstalled("socat");
        try (UdpPeers peers = new UdpPeers()) {
            int port = UdpPeers.freePort();
            peers.echo(port);
            try (Server server = new Server(config(dnsRoute("roundrobin", "", "", port)));
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                client.setReceiveBufferSize(4 << 20);
                client.setSoTimeout(5000);
                byte[] largest = new byte[65_507];
                new Random(7).nextBytes(largest);
                client.send(new DatagramPacket(largest, largest.length, at));
                byte[] buf = new byte[65_536];
                DatagramPacket reply = new DatagramPacket(buf, buf.length);
                client.receive(reply);
                assertEquals(65_507, reply.getLength(), "one datagram of 65,507 bytes comes back as one");
                assertArrayEquals(largest, java.util.Arrays.copyOf(buf, reply.getLength()));

                // one datagram in flight: the rate is bounded by the round trip, and socat's PIPE is a byte stream
                // (two datagrams in it before socat reads it back would come back as one), so only one may be in it
                Random random = new Random(42);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                Map<String, Integer> sent = new HashMap<>(), received = new HashMap<>();
                int total = 10_000, window = 1, out = 0, in = 0;
                while (in < total) {
                    while (out < total && out - in < window) {
                        byte[] d = new byte[1 + random.nextInt(out % 500 == 0 ? 65_507 : 9_000)];
                        random.nextBytes(d);
                        sent.merge(HexFormat.of().formatHex(sha.digest(d)) + "/" + d.length, 1, Integer::sum);
                        client.send(new DatagramPacket(d, d.length, at));
                        out++;
                    }
                    client.receive(reply);
                    received.merge(HexFormat.of().formatHex(sha.digest(java.util.Arrays.copyOf(buf, reply.getLength()))) + "/" + reply.getLength(), 1, Integer::sum);
                    in++;
                }
                assertEquals(sent, received, "every datagram back, whole, none merged or split");
                Backend echo = server.pools().getFirst().backend(0);
                assertEquals(total + 1, echo.datagramsUp());
                assertEquals(total + 1, echo.datagramsDown());
                assertEquals(0, server.udpListeners().getFirst().drops().values().stream().mapToLong(Long::longValue).sum());
            }
        }
    }
}
