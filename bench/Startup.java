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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * featherlb's cold start: from the moment its process is started to the first answer that came
 * back through it, measured twice: the JVM command that jbang runs from its cache (what
 * featherlb itself controls), and {@code ./jbang featherlb.java} as a user types it (jbang's own
 * JVM first resolves the cached jar).
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
        List<String> java = new ArrayList<>(cachedCommand(c));
        java.addAll(List.of("--config", cfg.toString()));
        List<String> jbang = new ArrayList<>(List.of(c.source().resolve("jbang").toString(), "run"));
        for (String option : c.javaOptions()) jbang.add("-R=" + option);
        jbang.addAll(List.of("featherlb.java", "--config", cfg.toString()));
        return new Times(firstAnswer(c, java, port, work, fdLimit), firstAnswer(c, jbang, port, work, fdLimit));
    }

    private static double firstAnswer(Contender c, List<String> command, int port, Path work, int fdLimit)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        try (Proc p = Proc.start(c.name() + "-start", command, fdLimit, work.resolve(c.name() + "-start.log"), c.source())) {
            while (System.nanoTime() - start < 60_000_000_000L) {
                if (answered(port)) return (System.nanoTime() - start) / 1e9;
                if (!p.alive()) break;
                Thread.sleep(2);
            }
            throw new IOException(c.name() + " gave no answer on " + port + "; see " + work.resolve(c.name() + "-start.log"));
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

    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The JVM command jbang runs for featherlb.java, from {@code jbang info tools}. */
    private static List<String> cachedCommand(Contender c) throws IOException, InterruptedException {
        String info = Proc.run(List.of(c.source().resolve("jbang").toString(), "info", "tools", "--quiet",
                c.source().resolve("featherlb.java").toString()), 300);
        info = info.substring(info.indexOf('{'), info.lastIndexOf('}') + 1);
        List<String> command = new ArrayList<>();
        command.add(field(info, "availableJdkPath") + "/bin/java");
        command.addAll(array(info, "runtimeOptions"));
        command.addAll(c.javaOptions());
        List<String> classpath = new ArrayList<>();
        classpath.add(field(info, "applicationJar"));
        classpath.addAll(array(info, "resolvedDependencies"));
        command.addAll(List.of("-classpath", String.join(":", classpath), field(info, "mainClass")));
        return command;
    }

    private static String field(String json, String name) throws IOException {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*" + STRING.pattern()).matcher(json);
        if (!m.find()) throw new IOException("jbang info tools has no " + name + ":\n" + json);
        return m.group(1).replace("\\\\", "\\");
    }

    private static List<String> array(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\\[(.*?)\\]", Pattern.DOTALL).matcher(json);
        List<String> values = new ArrayList<>();
        if (!m.find()) return values;
        Matcher s = STRING.matcher(m.group(1));
        while (s.find()) values.add(s.group(1).replace("\\\\", "\\"));
        return values;
    }
}
