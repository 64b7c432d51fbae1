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
    START_JBANG("start s (./jbang)", "%.3f", false, true),
    // fixed-rate efficiency (FixedRate): h2load --h1 --rps, 100 connections
    FIXED_10K_CPU("CPU µs/req at 10k/s", "%.1f", false, true),
    FIXED_10K_P50("p50 ms at 10k/s", "%.2f", false, false),
    FIXED_10K_P99("p99 ms at 10k/s", "%.2f", false, false),
    FIXED_20K_CPU("CPU µs/req at 20k/s", "%.1f", false, true),
    FIXED_20K_P50("p50 ms at 20k/s", "%.2f", false, false),
    FIXED_20K_P99("p99 ms at 20k/s", "%.2f", false, false),
    FIXED_30K_CPU("CPU µs/req at 30k/s", "%.1f", false, true),
    FIXED_30K_P50("p50 ms at 30k/s", "%.2f", false, false),
    FIXED_30K_P99("p99 ms at 30k/s", "%.2f", false, false),
    // many keep-alive connections (ManyConnections)
    MANY_1K_RPS("req/s, 1,000 conns", "%.0f", true, false),
    MANY_1K_P99("p99 ms, 1,000 conns", "%.1f", false, false),
    MANY_1K_TIMEOUTS("timeouts, 1,000 conns", "%.0f", false, false),
    MANY_5K_RPS("req/s, 5,000 conns", "%.0f", true, false),
    MANY_5K_P99("p99 ms, 5,000 conns", "%.1f", false, false),
    MANY_5K_TIMEOUTS("timeouts, 5,000 conns", "%.0f", false, false),
    // a backend that writes an access log per request (BusyBackend)
    BUSY_RPS("busy backend req/s", "%.0f", true, false),
    BUSY_P99("busy backend p99 ms", "%.2f", false, false),
    BUSY_CPU("busy backend CPU µs/req", "%.1f", false, true),
    // memory at scale (MemoryScale)
    RSS_FLOOR("RSS MiB before any connection", "%.1f", false, true),
    RSS_PER_IDLE("KiB per idle connection", "%.2f", false, true),
    RSS_FIT_BASE("fitted RSS MiB at 0 idle", "%.1f", false, true);

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
