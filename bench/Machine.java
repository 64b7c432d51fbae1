package bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the benchmark needs from the machine: the peers from Debian, file descriptors, free ports, a description. */
final class Machine {
    /** Debian package per command (or file) the benchmark runs. */
    private static final Map<String, String> PACKAGES = Map.of(
            "haproxy", "haproxy",
            "nginx", "nginx-light",
            "/usr/lib/nginx/modules/ngx_stream_module.so", "libnginx-mod-stream",
            "wrk", "wrk",
            "iperf3", "iperf3",
            "openssl", "openssl",
            "h2load", "nghttp2-client",
            "dnsmasq", "dnsmasq",
            "dnsperf", "dnsperf",
            "socat", "socat");

    private Machine() {
    }

    /** Installs whatever is missing with {@code apt-get update} once, then {@code apt-get install -y}. */
    static void ensureTools(java.io.PrintStream log) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        PACKAGES.forEach((what, pkg) -> {
            if (!present(what) && !missing.contains(pkg)) missing.add(pkg);
        });
        if (missing.isEmpty()) return;
        List<String> sudo = "root".equals(System.getProperty("user.name")) ? List.of() : List.of("sudo", "-n");
        log.println("installing from Debian: " + String.join(" ", missing));
        List<String> update = new ArrayList<>(sudo);
        update.addAll(List.of("apt-get", "update", "-qq"));
        Proc.run(update, 600);
        List<String> install = new ArrayList<>(sudo);
        install.addAll(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq"));
        install.addAll(missing);
        String out = Proc.run(install, 900);
        for (String what : PACKAGES.keySet()) {
            if (!present(what)) {
                throw new IOException("could not install " + PACKAGES.get(what) + ":\n" + out);
            }
        }
    }

    /** The full path of {@code command} on PATH or in the sbin folders (not on a plain user's PATH), or null. */
    static String which(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            if (Files.isExecutable(Path.of(dir, command))) return dir + "/" + command;
        }
        return null;
    }

    private static boolean present(String what) {
        return what.startsWith("/") ? Files.exists(Path.of(what)) : which(what) != null;
    }

    /** The hard limit on open files: the most any child can raise its own limit to. */
    static int hardFdLimit() {
        try {
            String out = Proc.run(List.of("bash", "-c", "ulimit -Hn"), 10).trim();
            return out.equals("unlimited") ? 1 << 20 : Integer.parseInt(out);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 1024;
        }
    }

    /** A port nobody listens on right now (the kernel's choice for port 0). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Machine, OS and peer versions, for the report. */
    static Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("cpu", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        d.put("memory", memTotal());
        d.put("kernel", firstLine(List.of("uname", "-sr")));
        d.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        d.put("haproxy", firstLine(List.of("haproxy", "-v")).replaceAll(" - https?://\\S+", ""));
        d.put("nginx", firstLine(List.of("nginx", "-v")));
        d.put("wrk", firstLine(List.of("wrk", "-v")).replaceAll(" Copyright.*", ""));
        d.put("iperf3", firstLine(List.of("iperf3", "-v")));
        d.put("h2load", firstLine(List.of("h2load", "--version")));
        d.put("load average at start", loadAverage());
        return d;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB").findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String firstLine(List<String> command) {
        String path = which(command.getFirst());
        if (path == null) return "?";
        List<String> cmd = new ArrayList<>(command);
        cmd.set(0, path);
        try {
            return Proc.output(cmd, 10).lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse("?");
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
