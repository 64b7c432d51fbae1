package udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;
import proxyproto.HeaderEncoder;
import traffic.ConnectionRecord;

/**
 * {@code accept_proxy} on a UDP route, against Debian's dnsdist as the PROXY v2 sender in front
 * ({@code newServer{useProxyProtocol=true}}: a UDP4 header before each query it forwards, the
 * answers back without one) and as the receiver behind ({@code setProxyProtocolACL}), dnsmasq as the
 * DNS servers, dig as the clients (bound to addresses of their own on 127/8), and plain sockets for
 * what a real sender never sends.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class UdpAcceptProxyTest {
    /** The real clients: dig bound to each of these (all of 127/8 is the loopback's). */
    private static final List<String> CLIENTS = List.of("127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.10");

    @Test
    void throughDnsdistTheHeadersClientIsHashedLoggedAndAnswered() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq", "dnsdist", "dig");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort(), b = UdpPeers.freePort(), sender = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            peers.dnsmasq(b, "192.0.2.2");
            String yaml = UdpForwardingTest.dnsRoute("iphash", "responses: 1", "    accept_proxy: {from: [127.0.0.1]}\n", a, b);
            List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
            try (Server server = new Server(UdpForwardingTest.config(yaml), dial.Dialer.TCP, records::add)) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                Process dd = dnsdist(peers, sender, "newServer({address=\"127.0.0.1:" + at.getPort() + "\", useProxyProtocol=true, checkInterval=1})");
                UdpForwardingTest.await("dnsdist answers through featherlb", () -> dig(sender, "127.0.0.5") != null);
                records.clear();
                Map<String, Set<String>> endpointsOf = new TreeMap<>();
                int queries = 0;
                for (int round = 0; round < 3; round++) {
                    for (String client : CLIENTS) {
                        String answer = dig(sender, client);
                        assertTrue(answer != null && answer.startsWith("192.0.2."), "dig from " + client + " through dnsdist and featherlb: " + answer);
                        endpointsOf.computeIfAbsent(client, c -> new HashSet<>()).add(answer);
                        queries++;
                    }
                }
                int expected = queries;
                UdpForwardingTest.await("every query's session has ended", () -> ofClients(records).size() == expected);
                // dnsdist's own health checks (checkInterval=1) come through featherlb with dnsdist as their client
                UdpForwardingTest.await("a health check of dnsdist's own served", () -> records.stream()
                        .anyMatch(r -> r.clientAddress().getAddress().getHostAddress().equals("127.0.0.1") && r.datagrams().down() == 1));
                for (Map.Entry<String, Set<String>> e : endpointsOf.entrySet()) {
                    assertEquals(1, e.getValue().size(), "iphash keeps " + e.getKey() + " on one endpoint: " + e.getValue());
                }
                Set<String> used = new HashSet<>();
                endpointsOf.values().forEach(used::addAll);
                assertEquals(Set.of("192.0.2.1", "192.0.2.2"), used,
                        "hashed by the header's client, not by dnsdist's one address: the clients spread over both endpoints");
                Set<String> logged = new HashSet<>();
                for (ConnectionRecord r : ofClients(records)) {
                    StringBuilder line = new StringBuilder();
                    accesslog.LineFormat.TEXT.append(line, r);
                    logged.add(r.clientAddress().getAddress().getHostAddress());
                    assertTrue(line.toString().contains(" client=" + r.clientAddress().getAddress().getHostAddress() + ":"), line.toString());
                }
                assertEquals(Set.copyOf(CLIENTS), logged, "the access log names dig's addresses, not dnsdist's");
                assertEquals(0L, server.udpListeners().getFirst().drops().values().stream().mapToLong(Long::longValue).sum());
                UdpPeers.stop(dd);
            }
        }
    }

    @Test
    void untrustedHeaderlessV1AndTcpDatagramsAreDroppedAndCountedLocalAndUdp4AreServed() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq");
        try (UdpPeers peers = new UdpPeers()) {
            int a = UdpPeers.freePort();
            peers.dnsmasq(a, "192.0.2.1");
            String yaml = UdpForwardingTest.dnsRoute("roundrobin", "idle: 30s", "    accept_proxy: {from: [127.0.0.2]}\n", a);
            List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
            try (Server server = new Server(UdpForwardingTest.config(yaml), dial.Dialer.TCP, records::add);
                 DatagramSocket untrusted = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                 DatagramSocket trusted = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
                 DatagramSocket second = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                UdpListener listener = server.udpListeners().getFirst();
                InetSocketAddress client = new InetSocketAddress("198.51.100.7", 40000);
                byte[] udp4 = HeaderEncoder.v2Udp(client, at);

                // served: a UDP4 header names the client; the answer comes back to the sender, without a header
                assertEquals("192.0.2.1", answer(trusted, at, udp4, 1), "a query behind a UDP4 header");
                // two senders carrying the same client are two sessions, each answered to itself
                assertEquals("192.0.2.1", answer(second, at, udp4, 2), "the same client through another sender");
                assertEquals(2, listener.sessions());
                // LOCAL: the sender's own datagram (a health check): the sender is the client
                assertEquals("192.0.2.1", answer(trusted, at, HeaderEncoder.V2_LOCAL, 3), "a query behind a LOCAL header");
                assertEquals(3, listener.sessions());

                // dropped: from a sender outside from (even with a well-formed header), without a header,
                // v1 (no UDP form), a TCP4 v2 header, a datagram cut inside its header
                assertNull(answer(untrusted, at, udp4, 4), "untrusted");
                assertNull(answer(trusted, at, new byte[0], 5), "no header");
                assertNull(answer(trusted, at, HeaderEncoder.v1(client, at), 6), "v1");
                assertNull(answer(trusted, at, HeaderEncoder.v2(client, at, null, null), 7), "v2 for TCP");
                send(trusted, at, Arrays.copyOf(udp4, 20));
                UdpForwardingTest.await("the cut header counted", () -> listener.drops().get(Drop.PROXY_INVALID) == 4);
                assertEquals(1, listener.drops().get(Drop.PROXY_UNTRUSTED));
                assertEquals(4, listener.drops().get(Drop.PROXY_INVALID));
                assertEquals(3, listener.sessions(), "nothing dropped opened a session");
                Map<String, Long> counted = server.udpDrops().get("dns");
                assertEquals(1L, counted.get("proxy_untrusted"), "featherlb_udp_dropped_total{reason=proxy_untrusted}: " + counted);
                assertEquals(4L, counted.get("proxy_invalid"));

                server.close(); // the sessions end, and their records come
                UdpForwardingTest.await("three records", () -> records.size() == 3);
                List<String> clients = new ArrayList<>();
                for (ConnectionRecord r : records) clients.add(r.client());
                clients.sort(null);
                assertEquals(List.of("127.0.0.2:" + trusted.getLocalPort(), "198.51.100.7:40000", "198.51.100.7:40000"), clients,
                        "the header's client, twice (two senders); the LOCAL sender itself");
            }
        }
    }

    @Test
    void acceptProxyAndSendProxyV2CarryTheOriginalClientToDnsdistBehind() throws Exception {
        UdpPeers.assumeInstalled("dnsmasq", "dnsdist", "dig");
        try (UdpPeers peers = new UdpPeers()) {
            int backend = UdpPeers.freePort(), front = UdpPeers.freePort(), behind = UdpPeers.freePort();
            peers.dnsmasq(backend, "192.0.2.9");
            // behind: reads featherlb's header, and answers 192.0.2.77 itself to one client address
            // only: it can tell that client only from the header (every datagram comes from featherlb)
            Process receiver = dnsdist(peers, behind, """
                    setProxyProtocolACL({"127.0.0.0/8"})
                    addAction("127.0.0.6/32", SpoofAction("192.0.2.77"))
                    newServer({address="127.0.0.1:%d", healthCheckMode="up"})
                    """.formatted(backend));
            String yaml = UdpForwardingTest.dnsRoute("roundrobin", "responses: 1", "    accept_proxy: {from: [127.0.0.1]}\n    send_proxy: v2\n", behind);
            try (Server server = new Server(UdpForwardingTest.config(yaml))) {
                server.start();
                InetSocketAddress at = server.udpAddresses().getFirst();
                Process sender = dnsdist(peers, front, "newServer({address=\"127.0.0.1:" + at.getPort() + "\", useProxyProtocol=true, healthCheckMode=\"up\"})");
                UdpForwardingTest.await("dig through dnsdist, featherlb and dnsdist", () -> dig(front, "127.0.0.5") != null);
                for (int i = 0; i < 3; i++) {
                    assertEquals("192.0.2.9", dig(front, "127.0.0.5"), "127.0.0.5: dnsmasq's answer");
                    assertEquals("192.0.2.77", dig(front, "127.0.0.6"), "127.0.0.6: the answer for that client alone, so the header named it");
                }
                assertEquals(0L, server.udpListeners().getFirst().drops().values().stream().mapToLong(Long::longValue).sum());
                UdpPeers.stop(sender);
            } finally {
                UdpPeers.stop(receiver);
            }
        }
    }

    /** The records of the dig clients' sessions (not dnsdist's own health checks). */
    private static List<ConnectionRecord> ofClients(List<ConnectionRecord> records) {
        return records.stream().filter(r -> CLIENTS.contains(r.clientAddress().getAddress().getHostAddress())).toList();
    }

    /** A dnsdist on 127.0.0.1:{@code port} taking queries from 127/8, with {@code rest} of its config. */
    private static Process dnsdist(UdpPeers peers, int port, String rest) throws Exception {
        Path conf = Files.createTempFile("featherlb-dnsdist", ".conf");
        Files.writeString(conf, """
                setSecurityPollSuffix("")
                setLocal("127.0.0.1:%d")
                setACL({"127.0.0.0/8"})
                """.formatted(port) + rest + "\n");
        conf.toFile().deleteOnExit();
        return peers.start(UdpPeers.binary("dnsdist").toString(), "--supervised", "--disable-syslog", "-C", conf.toString());
    }

    /** dig's answer for a.test from {@code source} to 127.0.0.1:{@code port}, or null when none came. */
    private static String dig(int port, String source) {
        try {
            Process dig = new ProcessBuilder("dig", "+short", "+tries=1", "+time=2", "-b", source, "-p", String.valueOf(port), "@127.0.0.1", "a.test")
                    .redirectErrorStream(true).start();
            String out = new String(dig.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (!dig.waitFor(20, TimeUnit.SECONDS) || dig.exitValue() != 0 || out.isEmpty()) return null;
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * The address answered to an A query for a.test with id {@code id} behind {@code header}, sent from
     * {@code socket}: null when none came within a second. The answer must come without a header.
     */
    private static String answer(DatagramSocket socket, InetSocketAddress at, byte[] header, int id) throws IOException {
        byte[] query = UdpPeers.aQuery("a.test", id);
        send(socket, at, ByteBuffer.allocate(header.length + query.length).put(header).put(query).array());
        socket.setSoTimeout(1000);
        byte[] buf = new byte[1500];
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        try {
            socket.receive(reply);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
        assertArrayEquals(new byte[] {0, (byte) id}, Arrays.copyOf(buf, 2), "the reply starts with the query's id: no PROXY header before it");
        int end = reply.getLength();
        return (buf[end - 4] & 0xff) + "." + (buf[end - 3] & 0xff) + "." + (buf[end - 2] & 0xff) + "." + (buf[end - 1] & 0xff);
    }

    private static void send(DatagramSocket socket, InetSocketAddress at, byte[] datagram) throws IOException {
        socket.send(new DatagramPacket(datagram, datagram.length, at));
    }
}
