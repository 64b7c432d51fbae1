package bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * featherlb's cold start: from the moment its process is started to the first answer that came
 * back through it, measured twice: {@code ./jbang featherlb.java} as a user types it (jbang's own
 * JVM first resolves the cached jar), and the JVM command that jbang said it ran, from its cache
 * with the //CDS archive beside the jar (what featherlb itself controls).
 */
final class Startup {
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private Startup() {
    }

    /** Seconds to the first proxied answer, each way. */
    record Times(double java, double jbang) {
    }

    static Times measure(Contender c, Contender.Backends to, Path work, int fdLimit) throws IOException, InterruptedException {
        int port = Machine.freePort();
        Path cfg = work.resolve(c.name() + "-start.yaml");
        Files.writeString(cfg, Contender.featherlbConfig(port, Machine.freePort(), to));
        List<String> jbang = new ArrayList<>(List.of(c.source().resolve("jbang").toString(), "--verbose", "run"));
        for (String option : c.javaOptions()) jbang.add("-R=" + option);
        jbang.addAll(List.of("featherlb.java", "--config", cfg.toString()));
        jbang.addAll(c.arguments());
        Path log = work.resolve(c.name() + "-start.log");
        double viaJbang = firstAnswer(c, jbang, port, log, fdLimit);
        // jbang --verbose says which command it ran, with the options it adds itself (the //CDS archive)
        List<String> java = null;
        for (String line : Files.readAllLines(log)) {
            String plain = line.replaceAll("\u001B\\[[0-9;]*m", "");
            int at = plain.indexOf("] run: ");
            if (plain.startsWith("[jbang]") && at > 0) java = List.of(plain.substring(at + 7).trim().split(" "));
        }
        if (java == null) throw new IOException("jbang --verbose did not say what it ran; see " + log);
        return new Times(firstAnswer(c, java, port, work.resolve(c.name() + "-start-java.log"), fdLimit), viaJbang);
    }

    private static double firstAnswer(Contender c, List<String> command, int port, Path log, int fdLimit)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        try (Proc p = Proc.start(c.name() + "-start", command, fdLimit, log, c.source())) {
            while (System.nanoTime() - start < 60_000_000_000L) {
                if (answered(port)) return (System.nanoTime() - start) / 1e9;
                if (!p.alive()) break;
                Thread.sleep(2);
            }
            throw new IOException(c.name() + " gave no answer on " + port + "; see " + log);
        }
    }

    private static boolean answered(int port) {
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            ch.write(ByteBuffer.wrap(REQUEST));
            ByteBuffer b = ByteBuffer.allocate(1024);
            while (ch.read(b) >= 0) {
                if (b.position() >= Contender.BODY.length()) return true;
            }
            return b.position() > 0;
        } catch (IOException notYet) {
            return false;
        }
    }
}
