package testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * A network namespace of the test's own, joined to this one by a veth pair on a /30 of
 * {@code 10.213.0.0/16} that nothing else here uses: the far side is where endpoints run, and where
 * nft drops and {@code tbf} shaping make the link lossy or slow (this kernel has no netem). Unique
 * names (process id and a counter), deleted by {@link #close} whatever happened: deleting the
 * namespace deletes the veth pair and ends what runs in it.
 *
 * <p>{@link #create} skips the test (an assumption, with the reason) where namespaces cannot be made:
 * not root, no {@code ip}, a container without CAP_NET_ADMIN.
 */
public final class NetNs implements AutoCloseable {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final long TIMEOUT_SECONDS = 10;

    private final String name;
    private final String near; // the veth end in this namespace
    private final String far;  // the veth end in the test's namespace
    private final String nearAddress;
    private final String farAddress;
    private final List<Process> processes = new ArrayList<>();
    private boolean lossTable; // a netdev table named after the near device, in this namespace

    private NetNs(String name, String near, String far, String nearAddress, String farAddress) {
        this.name = name;
        this.near = near;
        this.far = far;
        this.nearAddress = nearAddress;
        this.farAddress = farAddress;
    }

    /** A new namespace joined to this one, or the test is skipped saying why it could not be made. */
    public static NetNs create() throws IOException, InterruptedException {
        String id = ProcessHandle.current().pid() % 100_000 + "x" + COUNT.incrementAndGet();
        String name = "fltest" + id;
        String subnet = freeSubnet();
        var ns = new NetNs(name, "flh" + id, "fln" + id, subnet + ".1", subnet + ".2");
        String why = ns.trySetUp();
        if (why != null) {
            ns.close();
            Assumptions.abort("network namespaces cannot be created here (" + why + "): run as root with iproute2 for the network fault tests");
        }
        return ns;
    }

    /** The address of the namespace's side: where endpoints in it listen. */
    public String address() {
        return farAddress;
    }

    /** A third octet of 10.213.0.0/16 whose /24 no interface here has, so that two runs do not collide. */
    private static String freeSubnet() throws IOException, InterruptedException {
        String addresses = run(List.of("ip", "-4", "-o", "addr")).output();
        for (int i = 0; i < 50; i++) {
            int third = ThreadLocalRandom.current().nextInt(1, 255);
            String prefix = "10.213." + third;
            if (!addresses.contains(prefix + ".")) return prefix;
        }
        throw new IOException("no free /24 in 10.213.0.0/16");
    }

    private String trySetUp() throws IOException, InterruptedException {
        List<List<String>> steps = List.of(
                List.of("ip", "netns", "add", name),
                List.of("ip", "link", "add", near, "type", "veth", "peer", "name", far, "netns", name),
                List.of("ip", "addr", "add", nearAddress + "/30", "dev", near),
                List.of("ip", "link", "set", near, "up"),
                inside("ip", "addr", "add", farAddress + "/30", "dev", far),
                inside("ip", "link", "set", far, "up"),
                // one segment per packet, as on a wire: else a drop or tbf sees 64 KB GSO packets
                List.of("ip", "link", "set", "dev", near, "gso_max_segs", "1"),
                inside("ip", "link", "set", "dev", far, "gso_max_segs", "1"),
                inside("ip", "link", "set", "lo", "up"));
        for (List<String> step : steps) {
            Result r;
            try {
                r = run(step);
            } catch (IOException noTool) {
                return noTool.getMessage();
            }
            if (r.code() != 0) return String.join(" ", step) + ": " + r.output().strip();
        }
        return null;
    }

    /** {@code command} run inside the namespace. */
    private List<String> inside(String... command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return all;
    }

    /** Runs {@code command} inside the namespace and fails the test if it does not succeed. */
    public void exec(String... command) throws IOException, InterruptedException {
        Result r = run(inside(command));
        if (r.code() != 0) throw new IOException(String.join(" ", command) + " failed in " + name + ": " + r.output().strip());
    }

    /**
     * Drops {@code percent} of the TCP packets both ways at random ({@code numgen random mod 100 <
     * percent}), where they arrive: at the ingress of each end of the veth pair, so that no sending
     * socket is told (a drop in an output hook fails the send locally, which TCP treats otherwise
     * than loss). The table on this side is bound to the test's own device and deleted by {@link #close}.
     */
    public void lose(int percent) throws IOException, InterruptedException {
        String rule = " meta l4proto tcp numgen random mod 100 < " + percent + " drop";
        exec("nft", "add table netdev fltest; add chain netdev fltest in { type filter hook ingress device " + far + " priority 0; }; "
                + "add rule netdev fltest in" + rule);
        Result r = run(List.of("nft", "add table netdev " + near + "; add chain netdev " + near + " in { type filter hook ingress device "
                + near + " priority 0; }; add rule netdev " + near + " in" + rule));
        if (r.code() != 0) throw new IOException("nft on " + near + ": " + r.output().strip());
        lossTable = true;
    }

    /** Drops every SYN to {@code port} in the namespace: connects to it hang, as to a host that vanished. */
    public void blackHole(int port) throws IOException, InterruptedException {
        exec("nft", "add table inet flhole; "
                + "add chain inet flhole in { type filter hook input priority 0; }; "
                + "add rule inet flhole in tcp dport " + port + " tcp flags & (syn | ack) == syn drop");
    }

    /** Shapes both directions of the veth pair to {@code rate} (tc's syntax, such as {@code 40mbit}) with {@code tbf}. */
    public void shape(String rate) throws IOException, InterruptedException {
        exec("tc", "qdisc", "add", "dev", far, "root", "tbf", "rate", rate, "burst", "64kb", "latency", "100ms");
        Result r = run(List.of("tc", "qdisc", "add", "dev", near, "root", "tbf", "rate", rate, "burst", "64kb", "latency", "100ms"));
        if (r.code() != 0) throw new IOException("tc on " + near + ": " + r.output().strip());
    }

    /**
     * An echo endpoint in the namespace on {@code port}, listening when this returns: a small Java
     * program run by this JVM's own {@code java} in the namespace, a virtual thread per connection
     * copying what it reads back and half-closing at EOF. Not socat's {@code PIPE}: socat writes to
     * its own pipe with blocking writes, so once the way back is slower than the way in (loss on it)
     * the pipe fills and socat stops for good.
     */
    public void echo(int port) throws IOException, InterruptedException {
        Path source = Files.createTempFile("netns-echo", ".java");
        Files.writeString(source, ECHO_SOURCE);
        source.toFile().deleteOnExit();
        String java = ProcessHandle.current().info().command().orElse("java");
        var pb = new ProcessBuilder(inside(java, source.toString(), farAddress, Integer.toString(port)));
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        processes.add(pb.start());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // the source launcher compiles first
        while (!run(inside("ss", "-Hltn", "sport = :" + port)).output().contains(":" + port)) {
            if (System.nanoTime() > deadline) throw new IOException("the echo did not listen on " + farAddress + ":" + port + " within 60 s");
            Thread.sleep(50);
        }
    }

    private static final String ECHO_SOURCE = """
            import java.net.*;
            class Echo {
                public static void main(String[] args) throws Exception {
                    try (ServerSocket server = new ServerSocket(Integer.parseInt(args[1]), 64, InetAddress.getByName(args[0]))) {
                        while (true) {
                            Socket s = server.accept();
                            Thread.ofVirtual().start(() -> {
                                try (s) {
                                    s.getInputStream().transferTo(s.getOutputStream());
                                    s.shutdownOutput();
                                    s.getInputStream().read(); // until the peer closes too
                                } catch (Exception e) {
                                }
                            });
                        }
                    }
                }
            }
            """;

    /** Ends what runs in the namespace, then deletes it (and with it the veth pair). Again is nothing. */
    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        processes.clear();
        run(List.of("ip", "netns", "pids", name)).output().lines().map(String::strip).filter(l -> !l.isEmpty())
                .forEach(pid -> ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly));
        run(List.of("ip", "netns", "del", name));
        run(List.of("ip", "link", "del", near)); // gone with the namespace already, unless creating it failed half-way
        if (lossTable) run(List.of("nft", "delete", "table", "netdev", near)); // outlives its device
        lossTable = false;
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
