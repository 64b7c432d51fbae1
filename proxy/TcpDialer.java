package proxy;

import static java.net.StandardProtocolFamily.INET;
import static java.net.StandardProtocolFamily.INET6;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
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
 */
final class TcpDialer implements Dialer {
    @Override
    public SocketChannel dial(String host, int port, Duration timeout) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) throw new UnknownHostException(host + ": name does not resolve");
        // the address's own family: a dual-stack IPv6 socket for an IPv4 endpoint costs an extra
        // setsockopt (IPV6_V6ONLY) per connection
        SocketChannel channel = SocketChannel.open(address.getAddress() instanceof Inet4Address ? INET : INET6);
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
