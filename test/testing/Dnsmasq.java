package testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server for tests: Debian's dnsmasq on a loopback port, authoritative for {@code .test}
 * (a name it does not know is NXDOMAIN, nothing is forwarded anywhere), its A records read from a
 * {@code --hostsdir} folder that it reads again whenever a file there changes, and the SRV records
 * given at start. {@link #available()} is false when dnsmasq is not installed: the test skips.
 */
public final class Dnsmasq implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/dnsmasq");
    private final Path folder;
    private Process process; // set once started
    public final int port;

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /** @param srvHosts {@code --srv-host} values: {@code _service._proto.name,target,port,priority,weight} */
    public Dnsmasq(List<String> srvHosts) throws IOException, InterruptedException {
        folder = Files.createTempDirectory("featherlb-dnsmasq");
        Files.createDirectories(folder.resolve("hosts"));
        // dnsmasq binds the port for UDP and TCP: a port free for UDP may be a listener's of another
        // test running meanwhile; then it exits at once, and another port is tried
        Process started = null;
        int chosen = 0;
        for (int attempt = 0; attempt < 10 && started == null; attempt++) {
            chosen = freePort();
            started = start(chosen, srvHosts);
        }
        if (started == null) {
            String log = log();
            close();
            throw new IOException("dnsmasq did not start: " + log);
        }
        process = started;
        port = chosen;
    }

    /** A loopback port free for both UDP and TCP when asked. */
    private static int freePort() throws IOException {
        while (true) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 java.net.ServerSocket tcp = new java.net.ServerSocket(udp.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
                return tcp.getLocalPort();
            } catch (java.net.BindException taken) {
                // that port is a TCP listener's: ask for another
            }
        }
    }

    /** dnsmasq on {@code port}, ready; null when it exited (the port was taken meanwhile). */
    private Process start(int port, List<String> srvHosts) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--no-daemon", "--port=" + port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--local=/test/", "--hostsdir=" + folder.resolve("hosts"),
                "--pid-file=", "--user=root", "--log-queries", "--log-facility=-"));
        for (String srv : srvHosts) command.add("--srv-host=" + srv);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(folder.resolve("dnsmasq.log").toFile()).start();
        // ready when it logs that it started (or gone, with the reason in its log)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && p.isAlive() && !log().contains("started, version")) Thread.sleep(20);
        if (p.isAlive() && log().contains("started, version")) return p;
        p.destroy();
        p.waitFor(5, TimeUnit.SECONDS);
        return null;
    }

    /** Sets the A records of {@code name} (all of them: none removes the name), as one file replaced whole. */
    public void addresses(String name, String... addresses) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (String a : addresses) lines.append(a).append(' ').append(name).append('\n');
        Path file = folder.resolve("hosts").resolve(name);
        Path next = folder.resolve(name + ".next"); // outside the watched folder, then moved in: dnsmasq never reads half a file
        Files.writeString(next, lines);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public String log() {
        try {
            Path log = folder.resolve("dnsmasq.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** {@code 127.0.0.1:port}, as a config's {@code nameserver} says it. */
    public String nameserver() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
        try (var files = Files.walk(folder)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
