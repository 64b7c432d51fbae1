package proxy;

import algorithms.Strategy;
import config.Config;
import config.Engine;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import dial.Dialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Real loopback peers for the proxy tests: backends that echo, answer after EOF, or reset. */
final class TestServers {
    private TestServers() {
    }

    /** What a backend does with one accepted connection. */
    @FunctionalInterface
    interface Behaviour {
        void serve(Socket socket) throws IOException;
    }

    /** Copies everything back until EOF, then closes. */
    static final Behaviour ECHO = socket -> {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        in.transferTo(out);
        socket.shutdownOutput();
    };

    /** A loopback backend on an ephemeral port, one virtual thread per connection. */
    static final class Backend implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger accepted = new AtomicInteger();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final Thread acceptor;

        Backend(Behaviour behaviour) throws IOException {
            server = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        accepted.incrementAndGet();
                        threads.execute(() -> {
                            try (socket) {
                                behaviour.serve(socket);
                            } catch (IOException ignored) {
                                // a test that resets or closes early causes this; the test asserts what matters
                            }
                        });
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        Endpoint endpoint(int weight) {
            return new Endpoint("127.0.0.1", port(), weight, false);
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }

    /**
     * A loopback port whose connects hang: a listener that never accepts, its backlog full, so
     * Linux drops further SYNs and a connect stays pending until its timeout.
     */
    static final class Hanging implements AutoCloseable {
        private final ServerSocket listener;
        private final List<SocketChannel> filling = new ArrayList<>();

        Hanging() throws IOException, InterruptedException {
            listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            for (int i = 0; i < 8; i++) { // more than the backlog holds; the rest stay pending
                SocketChannel c = SocketChannel.open();
                c.configureBlocking(false);
                c.connect(address);
                filling.add(c);
            }
            Thread.sleep(100);
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel c : filling) c.close();
            listener.close();
        }
    }

    /** A route on 127.0.0.1 with an ephemeral port. */
    static Route route(Strategy strategy, List<Endpoint> endpoints) {
        return route(strategy, endpoints, Timeouts.DEFAULTS, 0);
    }

    static Route route(Strategy strategy, List<Endpoint> endpoints, Timeouts timeouts, int maxConnections) {
        return new Route("test", "127.0.0.1", 0, strategy, endpoints, timeouts, maxConnections, Route.DEFAULT_RETRIES);
    }

    /** A started server for one route, forwarding with {@code engine}. */
    static Server start(Engine engine, Route route) {
        return start(engine, route, Dialer.TCP);
    }

    static Server start(Engine engine, Route route, Dialer dialer) {
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), dialer);
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return server;
    }

    /** A client connected to the server's first route. */
    static Socket connect(Server server) throws IOException {
        InetSocketAddress address = server.addresses().getFirst();
        Socket socket = new Socket();
        socket.connect(address, 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** A port on loopback that nothing listens on (bound, noted, closed). */
    static int closedPort() throws IOException {
        return testing.Ports.closed();
    }

    static <T> List<T> list(T... items) {
        return new ArrayList<>(List.of(items));
    }
}
