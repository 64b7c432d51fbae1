package udp;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real peers of the UDP tests (Debian's, installed by build/peers.sh): dnsmasq answering
 * {@code a.test} with an address of its own, socat as a UDP echo, and a DNS query of our own so
 * that a test can count answers exactly. A test whose peer is missing skips.
 */
final class UdpPeers implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();

    static Path binary(String name) {
        return Arrays.stream((System.getenv().getOrDefault("PATH", "/usr/bin") + ":/usr/sbin").split(File.pathSeparator))
                .map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst().orElse(null);
    }

    static void assumeInstalled(String... names) {
        for (String name : names) {
            assumeTrue(binary(name) != null, name + " is not installed (build/peers.sh installs it with apt-get): skipping");
        }
    }

    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port on 127.0.0.1 free for UDP and TCP both (dnsmasq binds both), when asked: the peer binds
     * it next. Never the same twice in a run: a port just closed may be the kernel's next choice again.
     */
    static int freePort() throws IOException {
        while (true) {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 java.net.ServerSocket tcp = new java.net.ServerSocket(s.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
                if (GIVEN.add(s.getLocalPort())) return s.getLocalPort();
            } catch (java.net.BindException inUseForTcp) {
                // try another
            }
        }
    }

    /** A dnsmasq on 127.0.0.1 answering {@code a.test} with {@code answer}; returns once it answers. */
    Process dnsmasq(int port, String answer) throws Exception {
        Process p = start(binary("dnsmasq").toString(), "--no-daemon", "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--address=/a.test/" + answer, "--user=" + System.getProperty("user.name"), "--pid-file=");
        awaitAnswer(new InetSocketAddress("127.0.0.1", port), p);
        return p;
    }

    /** socat as a UDP echo on 127.0.0.1: a process per client address:port ({@code fork}), so one per session, datagrams of up to 64 KiB ({@code -b}). */
    Process echo(int port) throws Exception {
        Process p = start(binary("socat").toString(), "-b", "65535", "UDP4-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork", "PIPE");
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                assertTrue(p.isAlive() && System.nanoTime() < deadline, "socat did not start");
                byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(ping, ping.length, new InetSocketAddress("127.0.0.1", port)));
                try {
                    s.receive(new DatagramPacket(new byte[16], 16));
                    return p;
                } catch (SocketTimeoutException notYet) {
                    // not bound yet
                }
            }
        }
    }

    Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        return p;
    }

    private static void awaitAnswer(InetSocketAddress at, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (DatagramSocket s = new DatagramSocket()) {
            while (query(s, at, "a.test", 200) == null) {
                assertTrue(p.isAlive() && System.nanoTime() < deadline, "dnsmasq did not start on " + at);
            }
        }
    }

    /** Stops {@code p} and waits for it. */
    static void stop(Process p) throws InterruptedException {
        p.destroy();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A DNS query for the A record of {@code name} (RFC 1035 §4.1), with id {@code id}. */
    static byte[] aQuery(String name, int id) {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0).putShort((short) 0);
        for (String label : name.split("\\.")) {
            b.put((byte) label.length()).put(label.getBytes(StandardCharsets.US_ASCII));
        }
        b.put((byte) 0).putShort((short) 1).putShort((short) 1);
        return Arrays.copyOf(b.array(), b.position());
    }

    /**
     * The address in the answer to an A query sent from {@code socket} to {@code at}, or null when
     * none came within {@code timeoutMillis}. The answer's last record is the A record: its last 4 bytes.
     */
    static String query(DatagramSocket socket, InetSocketAddress at, String name, int timeoutMillis) throws IOException {
        int id = (int) (System.nanoTime() & 0xffff);
        byte[] q = aQuery(name, id);
        socket.setSoTimeout(timeoutMillis);
        socket.send(new DatagramPacket(q, q.length, at));
        byte[] buf = new byte[1500];
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        try {
            while (true) {
                socket.receive(reply);
                if (reply.getLength() >= 12 && ((buf[0] & 0xff) << 8 | (buf[1] & 0xff)) == id) break; // a late answer to an earlier query is not this one's
            }
        } catch (SocketTimeoutException e) {
            return null;
        }
        int answers = (buf[6] & 0xff) << 8 | (buf[7] & 0xff);
        if (answers == 0) return "no answer";
        int end = reply.getLength();
        return (buf[end - 4] & 0xff) + "." + (buf[end - 3] & 0xff) + "." + (buf[end - 2] & 0xff) + "." + (buf[end - 1] & 0xff);
    }
}
