package admin;

import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's static files, read once from the classpath: jbang puts them there from the
 * {@code //FILES} lines of featherlb.java, also when featherlb runs from a URL, and the test runner
 * copies them the same way; the chart library comes from its WebJar on the classpath. A fixed list, so no request path can reach any other file.
 */
final class Dashboard {
    private static final System.Logger LOG = System.getLogger(Dashboard.class.getName());

    /** A file to serve. */
    record File(String contentType, byte[] bytes) {
    }

    /** uPlot's WebJar ({@code //DEPS org.webjars.npm:uplot} in featherlb.java): the charts, MIT. */
    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

    private static final Map<String, String> FILES = Map.of(
            "/", "dashboard/index.html",
            "/index.html", "dashboard/index.html",
            "/dashboard.js", "dashboard/dashboard.js",
            "/dashboard.css", "dashboard/dashboard.css",
            "/uPlot.iife.min.js", UPLOT + "uPlot.iife.min.js",
            "/uPlot.min.css", UPLOT + "uPlot.min.css");

    private final Map<String, File> files = new LinkedHashMap<>();

    Dashboard() {
        Map<String, byte[]> read = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : FILES.entrySet()) {
            byte[] bytes = read.computeIfAbsent(e.getValue(), Dashboard::read);
            if (bytes != null) files.put(e.getKey(), new File(type(e.getValue()), bytes));
        }
        if (read.containsValue(null)) {
            LOG.log(WARNING, "admin: dashboard files missing from the classpath (check the //FILES lines of featherlb.java): {0}",
                    read.entrySet().stream().filter(e -> e.getValue() == null).map(Map.Entry::getKey).sorted().toList());
        }
    }

    /** The file for a request path, or null. */
    File file(String path) {
        return files.get(path);
    }

    private static byte[] read(String resource) {
        try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }

    private static String type(String name) {
        if (name.endsWith(".html")) return "text/html; charset=utf-8";
        if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (name.endsWith(".css")) return "text/css; charset=utf-8";
        return "application/octet-stream";
    }
}
