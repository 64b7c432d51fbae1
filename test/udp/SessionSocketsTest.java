package udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * Session sockets kept for the next session ({@code reuse_sockets}), against a real UDP endpoint of
 * the test's own that answers each datagram {@code copies} times with {@code port:payload} (the
 * source port it saw, so a reply says which session socket carried the query).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SessionSocketsTest {

    /**
     * Answers every datagram {@code copies} times, once it holds {@code held} of them (1: at once);
     * remembers the source ports it saw.
     */
    static final class Answerer implements AutoCloseable {
        final DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        final Set<Integer> ports = ConcurrentHashMap.newKeySet();
        private final Thread thread;

        Answerer(int copies) throws IOException {
            this(copies, 1);
        }

        Answerer(int copies, int held) throws IOException {
            thread = Thread.ofVirtual().start(() -> {
                List<DatagramPacket> pending = new ArrayList<>();
                while (!socket.isClosed()) {
                    DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                    try {
                        socket.receive(in);
                        ports.add(in.getPort());
                        pending.add(in);
                        if (pending.size() < held) continue;
                        for (DatagramPacket p : pending) {
                            byte[] answer = (p.getPort() + ":" + new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII))
                                    .getBytes(StandardCharsets.US_ASCII);
                            for (int i = 0; i < copies; i++) socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                        }
                        pending.clear();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws InterruptedException {
            socket.close();
            thread.join();
        }
    }

    /** Sends {@code payload} from a port of its own (a session of its own); the one reply, or null. */
    static String ask(InetSocketAddress at, String payload) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(3000);
            byte[] out = payload.getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(out, out.length, at));
            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            s.receive(in);
            String reply = new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
            s.setSoTimeout(200); // a second reply would be another session's
            try {
                s.receive(in);
                return reply + " and then " + new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
            } catch (SocketTimeoutException none) {
                return reply;
            }
        }
    }

    @Test
    void anAnsweredSessionsSocketCarriesTheNextSessionAndEachClientGetsItsOwnAnswer() throws Exception {
        try (Answerer endpoint = new Answerer(1);
             Server server = new Server(UdpForwardingTest.config(UdpForwardingTest.dnsRoute("roundrobin", "responses: 1", "", endpoint.port())))) {
            server.start();
            InetSocketAddress at = server.udpAddresses().getFirst();
            for (int i = 0; i < 30; i++) {
                String reply = ask(at, "q" + i);
                assertTrue(reply.endsWith(":q" + i) && !reply.contains(" and then "), "query " + i + " got " + reply);
            }
            // one query at a time: each session found the socket the one before it left
            assertEquals(1, endpoint.ports.size(), "source ports the endpoint saw: " + endpoint.ports);
            UdpListener listener = server.udpListeners().getFirst();
            UdpForwardingTest.await("the session ended", () -> listener.sessions() == 0);
        }
    }

    @Test
    void responsesCountsPerClientDatagramAsNginxDoes() throws Exception {
        List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
        try (Answerer endpoint = new Answerer(1, 3);
             Server server = new Server(UdpForwardingTest.config(UdpForwardingTest.dnsRoute("roundrobin", "responses: 1", "", endpoint.port())),
                     dial.Dialer.TCP, records::add);
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            server.start();
            InetSocketAddress at = server.udpAddresses().getFirst();
            client.setSoTimeout(3000);
            for (int i = 0; i < 3; i++) client.send(new DatagramPacket(new byte[] {(byte) ('a' + i)}, 1, at));
            Set<String> got = new TreeSet<>();
            for (int i = 0; i < 3; i++) {
                DatagramPacket in = new DatagramPacket(new byte[100], 100);
                client.receive(in);
                got.add(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII).replaceAll("^[0-9]+:", ""));
            }
            assertEquals(Set.of("a", "b", "c"), got, "three queries in flight from one port, three answers");
            UdpForwardingTest.await("the session ended", () -> records.size() == 1);
            assertEquals(new traffic.Datagrams(3, 3), records.getFirst().datagrams());
            assertEquals(Outcome.ENDPOINT_CLOSED, records.getFirst().outcome());
        }
    }

    @Test
    void aLateSecondAnswerIsDroppedAndCountedNotGivenToTheNextClient() throws Exception {
        try (Answerer endpoint = new Answerer(2);
             Server server = new Server(UdpForwardingTest.config(UdpForwardingTest.dnsRoute("roundrobin", "responses: 1", "", endpoint.port())))) {
            server.start();
            InetSocketAddress at = server.udpAddresses().getFirst();
            UdpListener listener = server.udpListeners().getFirst();
            for (int i = 0; i < 20; i++) {
                String reply = ask(at, "q" + i);
                assertTrue(reply.endsWith(":q" + i) && !reply.contains(" and then "), "query " + i + " got " + reply);
            }
            UdpForwardingTest.await("20 late answers counted", () -> listener.drops().get(Drop.LATE_REPLY) == 20);
            assertEquals(1, endpoint.ports.size(), "the socket was kept: " + endpoint.ports);
        }
    }

    @Test
    void reuseSocketsFalseGivesEverySessionASocketOfItsOwn() throws Exception {
        try (Answerer endpoint = new Answerer(1);
             Server server = new Server(UdpForwardingTest.config(
                     UdpForwardingTest.dnsRoute("roundrobin", "responses: 1, reuse_sockets: false", "", endpoint.port())))) {
            server.start();
            InetSocketAddress at = server.udpAddresses().getFirst();
            for (int i = 0; i < 10; i++) assertTrue(ask(at, "q" + i).endsWith(":q" + i));
            assertEquals(10, endpoint.ports.size(), "a new socket, so a new source port, per session: " + endpoint.ports);
            assertEquals(0, server.udpListeners().getFirst().sockets().parked());
        }
    }

    @Test
    void sessionsThatEndUnansweredOrIdleDoNotLeaveTheirSocket() throws Exception {
        try (Answerer endpoint = new Answerer(1);
             Server server = new Server(UdpForwardingTest.config(UdpForwardingTest.dnsRoute("roundrobin", "idle: 200ms", "", endpoint.port())))) {
            server.start();
            InetSocketAddress at = server.udpAddresses().getFirst();
            UdpListener listener = server.udpListeners().getFirst();
            for (int i = 0; i < 5; i++) assertTrue(ask(at, "q" + i).endsWith(":q" + i));
            // responses unlimited: sessions end by the idle timeout, and their sockets close
            UdpForwardingTest.await("the idle sessions ended", () -> listener.sessions() == 0);
            assertEquals(5, endpoint.ports.size());
        }
    }
}
