package proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Continuous load for reload tests: {@code clients} virtual threads, each opening a new connection
 * per request to whatever address {@code target} gives at that moment, sending a line and reading
 * the backend's answer to EOF. Bounded: it stops at {@link #close()} or after {@code maxSeconds}.
 * Backends are expected to answer with their own name (see {@link #NAMED}), so the loop can count
 * requests per backend.
 */
final class LoadLoop implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private final long deadline;
    private volatile boolean stop;
    final AtomicLong ok = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicLongArray finishedPerClient;
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final Map<String, AtomicLong> perBackend = new ConcurrentHashMap<>();
    private final AtomicReference<Runnable> marker = new AtomicReference<>();

    /** A backend that reads the request line and answers with {@code name}. */
    static TestServers.Behaviour named(String name) {
        return socket -> {
            InputStream in = socket.getInputStream();
            while (in.read() != '\n') {
                // the request line
            }
            socket.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
        };
    }

    static final String NAMED = "answers with its name";

    LoadLoop(Supplier<InetSocketAddress> target, int clients, int maxSeconds) {
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        finishedPerClient = new java.util.concurrent.atomic.AtomicLongArray(clients);
        for (int i = 0; i < clients; i++) {
            int client = i;
            threads.add(Thread.ofVirtual().name("load-", i).start(() -> {
                while (!stop && System.nanoTime() < deadline) {
                    InetSocketAddress address = target.get();
                    try (Socket s = new Socket()) {
                        s.connect(address, 2000);
                        s.setSoTimeout(5000);
                        s.getOutputStream().write("GET\n".getBytes(StandardCharsets.US_ASCII));
                        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                        if (answer.isEmpty()) {
                            failures.add(address + ": closed without an answer");
                        } else {
                            ok.incrementAndGet();
                            perBackend.computeIfAbsent(answer, k -> new AtomicLong()).incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.add(address + ": " + e);
                    }
                    finishedPerClient.incrementAndGet(client);
                }
            }));
        }
    }

    /**
     * Waits until every client has finished {@code n} more requests: then no request that was
     * under way when this was called (for example one accepted just before a reload) is still open.
     */
    void awaitEachClient(int n) throws InterruptedException {
        long[] target = new long[finishedPerClient.length()];
        for (int i = 0; i < target.length; i++) target[i] = finishedPerClient.get(i) + n;
        for (int i = 0; i < target.length; i++) {
            while (finishedPerClient.get(i) < target[i] && System.nanoTime() < deadline) Thread.sleep(2);
        }
    }

    /** Requests per backend so far, as a snapshot. */
    Map<String, Long> snapshot() {
        Map<String, Long> copy = new java.util.TreeMap<>();
        perBackend.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        for (Thread t : threads) t.join();
    }
}
