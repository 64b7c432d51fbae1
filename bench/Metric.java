package bench;

/** What the benchmark measures, per contender; each metric is measured {@code reps} times. */
enum Metric {
    RPS("keep-alive req/s", "%.0f", true, false),
    P50("p50 ms", "%.2f", false, false),
    P99("p99 ms", "%.2f", false, false),
    CPU_PER_REQUEST("CPU µs/req", "%.1f", false, true),
    CPS("new conn/s", "%.0f", true, false),
    CPU_PER_CONNECTION("CPU µs/conn", "%.1f", false, true),
    BULK_UP("bulk up Gbit/s", "%.2f", true, false),
    BULK_DOWN("bulk down Gbit/s", "%.2f", true, false),
    RSS_IDLE("RSS MiB, 10k idle", "%.1f", false, true),
    START_JAVA("start s (jbang cache)", "%.3f", false, true),
    START_JBANG("start s (./jbang)", "%.3f", false, true);

    final String label;
    final String format;
    final boolean higherIsBetter;
    /** Not measured for "direct": it is the proxy's own cost. */
    final boolean proxyOnly;

    Metric(String label, String format, boolean higherIsBetter, boolean proxyOnly) {
        this.label = label;
        this.format = format;
        this.higherIsBetter = higherIsBetter;
        this.proxyOnly = proxyOnly;
    }

    String format(double value) {
        return Double.isNaN(value) ? "–" : String.format(java.util.Locale.ROOT, format, value);
    }
}
