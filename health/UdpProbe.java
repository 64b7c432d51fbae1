package health;

import config.Durations;
import config.HealthCheck;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/**
 * send_expect over UDP, the one check a UDP route has: one datagram ({@code send} or {@code
 * send_hex}, e.g. a DNS query), and a reply datagram that starts with {@code expect} (e.g. the
 * query's id) within the timeout. From a connected socket, so that only the endpoint's reply
 * counts and an ICMP port unreachable says at once that nothing listens.
 *
 * <p>Runs on the endpoint's check thread (virtual), blocking, bounded by the timeout.
 */
final class UdpProbe {
    private UdpProbe() {
    }

    /**
     * One check; null when it passed, else why it failed. {@code header} (the PROXY v2 LOCAL header
     * an endpoint with {@code send_proxy} wants before each datagram), or null, goes first in the datagram.
     */
    static String check(String host, int port, HealthCheck check, byte[] header, Duration timeout) {
        InetSocketAddress at = new InetSocketAddress(host, port);
        if (at.isUnresolved()) return "name does not resolve";
        byte[] probe = check.sendBytes();
        byte[] send = header == null ? probe : java.nio.ByteBuffer.allocate(header.length + probe.length).put(header).put(probe).array();
        byte[] expect = check.expectBytes();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(at);
            socket.send(new DatagramPacket(send, send.length));
            byte[] buffer = new byte[65_536];
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            String wrong = null; // a late reply to an earlier check, or a wrong one: said if no right one comes
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return wrong != null ? wrong : "no reply within " + Durations.format(timeout);
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                try {
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    return wrong != null ? wrong : "no reply within " + Durations.format(timeout);
                }
                if (reply.getLength() >= expect.length && Arrays.equals(buffer, 0, expect.length, expect, 0, expect.length)) return null;
                if (wrong == null) {
                    wrong = "reply " + Reply.show(Arrays.copyOf(buffer, Math.min(reply.getLength(), expect.length))) + " does not start with " + Reply.show(expect);
                }
            }
        } catch (PortUnreachableException e) {
            return "port unreachable";
        } catch (IOException e) {
            return "check failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }
}
