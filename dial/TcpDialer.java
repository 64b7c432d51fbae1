package dial;

import static java.net.StandardProtocolFamily.INET;
import static java.net.StandardProtocolFamily.INET6;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link Dialer#TCP}: a non-blocking connect, so that a connect that completes at once (a nearby
 * endpoint, loopback always) costs no park and no switch of the socket's mode.
 *
 * <p>Why not the socket adaptor's timed connect ({@code socket().connect(address, timeout)}): it
 * switches the socket to non-blocking and back around the connect, and the connection's switch to
 * non-blocking for its event loop, and the loop's first read, each cost further {@code fcntl} calls:
 * 11 per connection, counted with strace. Here the channel is made non-blocking once; {@code connect}
 * on a virtual thread then marks it "forced non-blocking" in the JDK, after which switching its
 * blocking mode back and forth changes only a flag in Java, never the socket. So the channel still
 * comes back in blocking mode, as the {@link Dialer} contract says, for free.
 *
 * <p>A connect that is still pending after the first look waits in the JDK's poller (a blocking
 * {@code finishConnect}), and a deadline closes the channel when {@code timeout} runs out, which ends
 * the wait.
 *
 * <p>{@link #start}, the forwarding loops' way, does the same first look for an endpoint given as an
 * IP address, and leaves a pending connect to the loop's selector; a host name needs
 * {@code getaddrinfo}, which blocks, so for a name it returns null and the connection {@link #dial}s
 * on a virtual thread.
 */
final class TcpDialer implements Dialer {
    @Override
    public SocketChannel dial(String host, int port, Duration timeout) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) throw new UnknownHostException(host + ": name does not resolve");
        SocketChannel channel = open(address.getAddress());
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
            boolean connected = channel.connect(address) || channel.finishConnect();
            channel.configureBlocking(true);
            if (!connected) awaitConnect(channel, timeout);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Endpoint addresses already parsed, by their text: a connection then shares the endpoint's
     * InetAddress instead of holding a copy while it lives. As many as the configs ever named.
     */
    private final ConcurrentHashMap<String, InetAddress> literals = new ConcurrentHashMap<>();

    @Override
    public SocketChannel start(String host, int port) throws IOException {
        InetAddress literal = literals.get(host);
        if (literal == null) {
            literal = literal(host);
            if (literal == null) return null;
            literals.putIfAbsent(host, literal);
        }
        SocketChannel channel = open(literal);
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
            if (!channel.connect(new InetSocketAddress(literal, port))) channel.finishConnect();
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * A socket of the address's own family (a dual-stack IPv6 socket for an IPv4 endpoint costs an
     * extra setsockopt per connection). A failure here is featherlb's own ({@link LocalFailure}).
     */
    private static SocketChannel open(InetAddress address) throws LocalFailure {
        try {
            return SocketChannel.open(address instanceof Inet4Address ? INET : INET6);
        } catch (IOException e) {
            throw new LocalFailure(e);
        }
    }

    /** The address {@code host} spells, or null for a name; never a lookup. */
    static InetAddress literal(String host) {
        if (host.indexOf(':') < 0) { // IPv4 is digits and dots; a name has a letter (IPv6 a colon)
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                if (c != '.' && (c < '0' || c > '9')) return null;
            }
        }
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException notALiteral) {
            return null;
        }
    }

    /** Blocks until the pending connect completes or fails, or {@code timeout} (zero: none) runs out. */
    private static void awaitConnect(SocketChannel channel, Duration timeout) throws IOException {
        if (timeout.isZero()) {
            channel.finishConnect();
            return;
        }
        AtomicBoolean settled = new AtomicBoolean(); // the connect's end or the deadline, whichever comes first
        ScheduledFuture<?> deadline = Deadlines.SCHEDULER.schedule(() -> {
            if (settled.compareAndSet(false, true)) closeQuietly(channel);
        }, timeout.toNanos(), NANOSECONDS);
        try {
            channel.finishConnect();
        } catch (ClosedByInterruptException e) {
            throw e;
        } catch (AsynchronousCloseException e) {
            if (!settled.compareAndSet(false, true)) throw new SocketTimeoutException("connect timed out");
            throw e;
        } finally {
            deadline.cancel(false);
        }
        if (!settled.compareAndSet(false, true)) throw new SocketTimeoutException("connect timed out");
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the dialling thread hears of it from finishConnect
        }
    }

    /** Only a connect that does not complete at once needs a deadline, so the thread starts with the first. */
    private static final class Deadlines {
        static final ScheduledThreadPoolExecutor SCHEDULER = create();

        private static ScheduledThreadPoolExecutor create() {
            var scheduler = new ScheduledThreadPoolExecutor(1,
                    Thread.ofPlatform().daemon().name("featherlb-connect-deadlines").factory());
            scheduler.setRemoveOnCancelPolicy(true); // a connect that made it leaves nothing queued
            return scheduler;
        }
    }
}
