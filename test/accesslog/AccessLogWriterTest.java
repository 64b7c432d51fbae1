package accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import config.AccessLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import traffic.ConnectionRecord;
import traffic.Outcome;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AccessLogWriterTest {
    private static final ConnectionRecord RECORD = new ConnectionRecord(Instant.parse("2026-11-26T15:13:21Z"), "web",
            new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 51234), "10.0.0.1:8081", 1234, 777, Duration.ofNanos(12_345_678), Outcome.CLIENT_CLOSED);
    private static final ConnectionRecord NAMED = new ConnectionRecord(Instant.parse("2026-11-26T15:13:21Z"), "app",
            new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 51234), "10.0.0.1:443", 517, 1400, Duration.ofNanos(2_000_000), Outcome.CLIENT_CLOSED,
            "app.example.com");
    private static final ConnectionRecord REFUSED = new ConnectionRecord(Instant.parse("2026-11-26T15:13:21.5Z"), "my route",
            new InetSocketAddress(InetAddress.ofLiteral("::1"), 40000), null, 0, 0, Duration.ofNanos(900_000), Outcome.NO_ENDPOINT);

    private static String line(LineFormat format, ConnectionRecord record) {
        StringBuilder out = new StringBuilder();
        format.append(out, record);
        return out.toString();
    }

    @Test
    void textIsLogfmtWithTheSameFieldsAsJson() {
        assertEquals("time=2026-11-26T15:13:21.000Z route=web client=127.0.0.1:51234 endpoint=10.0.0.1:8081 bytes_up=1234 "
                + "bytes_down=777 duration_ms=12.345 outcome=\"client closed\" sni=-", line(LineFormat.TEXT, RECORD));
        assertEquals("time=2026-11-26T15:13:21.500Z route=\"my route\" client=[::1]:40000 endpoint=- bytes_up=0 "
                + "bytes_down=0 duration_ms=0.900 outcome=refused sni=-", line(LineFormat.TEXT, REFUSED));
        assertEquals("time=2026-11-26T15:13:21.000Z route=app client=127.0.0.1:51234 endpoint=10.0.0.1:443 bytes_up=517 "
                + "bytes_down=1400 duration_ms=2.000 outcome=\"client closed\" sni=app.example.com", line(LineFormat.TEXT, NAMED));
    }

    @Test
    void jsonIsOneObjectPerLine() throws Exception {
        assertEquals("{\"time\":\"2026-11-26T15:13:21.000Z\",\"route\":\"web\",\"client\":\"127.0.0.1:51234\",\"endpoint\":\"10.0.0.1:8081\","
                + "\"bytes_up\":1234,\"bytes_down\":777,\"duration_ms\":12.345,\"outcome\":\"client closed\",\"sni\":null}", line(LineFormat.JSON, RECORD));
        assertEquals("app.example.com", ((Map<?, ?>) JSON.std.anyFrom(line(LineFormat.JSON, NAMED))).get("sni"));
        Map<?, ?> refused = (Map<?, ?>) JSON.std.anyFrom(line(LineFormat.JSON, REFUSED));
        assertEquals(null, refused.get("endpoint"));
        assertEquals("refused", refused.get("outcome"));
        assertEquals("my route", refused.get("route"));
    }

    @Test
    void everyQueuedLineIsWrittenAndFlushedByClose() {
        StringWriter out = new StringWriter();
        AccessLogWriter log = new AccessLogWriter(out, true, LineFormat.TEXT, 1000, "test");
        for (int i = 0; i < 500; i++) log.accept(RECORD);
        log.close();
        assertEquals(500, out.toString().lines().count());
        assertEquals(0, log.dropped());
        log.accept(RECORD); // after close: ignored, not an error
        assertEquals(500, out.toString().lines().count());
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> written = new ArrayList<>();
        Writer stuck = new Writer() { // a disk that hangs until released
            @Override
            public void write(char[] chars, int offset, int length) {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                written.add(new String(chars, offset, length));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        AccessLogWriter log = new AccessLogWriter(stuck, true, LineFormat.TEXT, 4, "stuck");
        log.accept(RECORD); // taken by the writer, which then hangs in write()
        assertTrue(writing.await(5, TimeUnit.SECONDS));
        long started = System.nanoTime();
        for (int i = 0; i < 10; i++) log.accept(RECORD); // 4 fit in the queue, 6 do not
        assertTrue(System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(500), "accept never waits for the writer");
        assertEquals(6, log.dropped());
        release.countDown();
        log.close();
        assertEquals(5, String.join("", written).lines().count());
    }

    @Test
    void offIgnoresRecords() throws IOException {
        AccessLogWriter log = AccessLogWriter.open(AccessLog.OFF, new ByteArrayOutputStream());
        log.accept(RECORD);
        log.close();
        assertEquals(0, log.dropped());
    }

    @Test
    void aFileIsAppendedToAsJson(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("access.log"), "an older line\n");
        AccessLogWriter log = AccessLogWriter.open(new AccessLog(AccessLog.Target.FILE, file, AccessLog.Format.JSON), new ByteArrayOutputStream());
        log.accept(RECORD);
        log.accept(REFUSED);
        log.close();
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        assertEquals("an older line", lines.getFirst());
        assertEquals(line(LineFormat.JSON, RECORD), lines.get(1));
    }

    @Test
    void stdoutIsFlushedButNotClosed() throws IOException {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream() {
            @Override
            public void close() {
                throw new AssertionError("stdout must stay open");
            }
        };
        AccessLogWriter log = AccessLogWriter.open(new AccessLog(AccessLog.Target.STDOUT, null, AccessLog.Format.TEXT), stdout);
        log.accept(RECORD);
        log.close();
        assertEquals(line(LineFormat.TEXT, RECORD) + "\n", stdout.toString(StandardCharsets.UTF_8));
    }
}
