package loop;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.invoke.MethodType.methodType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * Reads and writes of a connected, non-blocking socket with {@code recv(2)} and {@code send(2)},
 * called through the FFM API, where the JDK's {@link SocketChannel} calls {@code read(2)} and
 * {@code write(2)}. On a socket both do the same, but {@code read}/{@code write} go through the
 * kernel's file layer first ({@code vfs_read}/{@code vfs_write}, {@code fdget_pos}, the file
 * permission and notification hooks): measured with perf at a fixed 10k requests/s, that layer
 * took 9.7 % of featherlb's CPU against 4 % for HAProxy's {@code recvfrom}/{@code sendto}.
 *
 * <p>Needs Linux (its errno values), direct buffers (their address), and the channel's descriptor,
 * which only the JDK's own {@code sun.nio.ch} gives: the script runs with {@code
 * --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED}. Without any
 * of them, {@link #fd} answers -1 and every call here is the channel's own read or write: the same
 * bytes, the JDK's way.
 *
 * <p>The descriptor is the channel's as long as it is open; every call checks {@link
 * SocketChannel#isOpen} first, and the event loops close channels on their own thread only, after
 * the selector let go of them, so no call here can reach a descriptor number the system has given to
 * another socket.
 */
public final class SocketIo {
    private static final System.Logger LOG = System.getLogger(SocketIo.class.getName());
    private static final int EINTR = 4, EAGAIN = 11, EPIPE = 32, ECONNRESET = 104, ENOTCONN = 107, ETIMEDOUT = 110; // Linux
    private static final int MSG_NOSIGNAL = 0x4000; // a write to a reset peer is an error here, never a SIGPIPE
    private static final MethodHandle RECV, SEND, FD_VAL, ADDRESS;
    private static final VarHandle ERRNO;
    private static final StructLayout STATE;
    /** The call state errno is captured into, one per thread (the event loops' platform threads). */
    private static final ThreadLocal<MemorySegment> CAPTURED;
    /** Why recv/send are not used (null when they are). */
    private static final String UNAVAILABLE;

    static {
        MethodHandle recv = null, send = null, fdVal = null, address = null;
        VarHandle errno = null;
        StructLayout state = null;
        String why = null;
        try {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) throw new UnsupportedOperationException("not Linux");
            if (Boolean.getBoolean("featherlb.jdkSocketIo")) throw new UnsupportedOperationException("-Dfeatherlb.jdkSocketIo=true");
            // an IllegalAccessException here when the script's --add-exports is missing
            fdVal = MethodHandles.lookup().findVirtual(Class.forName("sun.nio.ch.SelChImpl"), "getFDVal", methodType(int.class))
                    .asType(methodType(int.class, Object.class));
            address = MethodHandles.lookup().findVirtual(Class.forName("sun.nio.ch.DirectBuffer"), "address", methodType(long.class))
                    .asType(methodType(long.class, Object.class));
            Linker linker = Linker.nativeLinker();
            Linker.Option capture = Linker.Option.captureCallState("errno");
            state = Linker.Option.captureStateLayout();
            errno = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            // ssize_t recv(int fd, void *buf, size_t len, int flags): the buffer's address as a long
            FunctionDescriptor io = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
            recv = linker.downcallHandle(linker.defaultLookup().find("recv").orElseThrow(), io, capture);
            send = linker.downcallHandle(linker.defaultLookup().find("send").orElseThrow(), io, capture);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            why = e.toString();
            recv = send = fdVal = address = null;
        }
        RECV = recv;
        SEND = send;
        FD_VAL = fdVal;
        ADDRESS = address;
        ERRNO = errno;
        STATE = state;
        UNAVAILABLE = why;
        CAPTURED = why != null ? null : ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE));
    }

    private SocketIo() {
    }

    /** Whether recv/send are used; the reason they are not otherwise, for the log. */
    public static String describe() {
        return UNAVAILABLE == null ? "recv/send" : "the JDK's read/write (" + UNAVAILABLE + ")";
    }

    public static boolean available() {
        return UNAVAILABLE == null;
    }

    /** {@code channel}'s descriptor for {@link #read} and {@link #write}, or -1: use the channel's own calls. */
    public static int fd(SocketChannel channel) {
        if (FD_VAL == null) return -1;
        try {
            return (int) FD_VAL.invokeExact((Object) channel);
        } catch (Throwable e) { // not the JDK's SocketChannelImpl (a test double): its own calls
            LOG.log(DEBUG, "no descriptor for {0}: {1}", channel, e.toString());
            return -1;
        }
    }

    /** As {@link SocketChannel#read(ByteBuffer)}: bytes read, 0 when none is waiting, -1 at the end of the stream. */
    public static int read(SocketChannel channel, int fd, ByteBuffer dst) throws IOException {
        if (fd < 0 || !dst.isDirect() || dst.isReadOnly()) return channel.read(dst);
        if (!channel.isOpen()) throw new ClosedChannelException();
        int position = dst.position(), room = dst.limit() - position;
        if (room == 0) return 0;
        MemorySegment state = CAPTURED.get();
        while (true) {
            long n = call(RECV, state, fd, dst, position, room);
            if (n > 0) {
                dst.position(position + (int) n);
                return (int) n;
            }
            if (n == 0) return -1; // a stream socket's end: the peer's FIN
            int errno = (int) ERRNO.get(state, 0L);
            if (errno == EAGAIN) return 0;
            if (errno != EINTR) throw failure(errno);
        }
    }

    /** As {@link SocketChannel#write(ByteBuffer)}: bytes written, 0 when the socket's buffer is full. */
    public static int write(SocketChannel channel, int fd, ByteBuffer src) throws IOException {
        if (fd < 0 || !src.isDirect()) return channel.write(src);
        if (!channel.isOpen()) throw new ClosedChannelException();
        int position = src.position(), length = src.limit() - position;
        if (length == 0) return 0;
        MemorySegment state = CAPTURED.get();
        while (true) {
            long n = call(SEND, state, fd, src, position, length, MSG_NOSIGNAL);
            if (n >= 0) {
                src.position(position + (int) n);
                return (int) n;
            }
            int errno = (int) ERRNO.get(state, 0L);
            if (errno == EAGAIN) return 0;
            if (errno != EINTR) throw failure(errno);
        }
    }

    private static long call(MethodHandle function, MemorySegment state, int fd, ByteBuffer buffer, int position, int length) {
        return call(function, state, fd, buffer, position, length, 0);
    }

    private static long call(MethodHandle function, MemorySegment state, int fd, ByteBuffer buffer, int position, int length, int flags) {
        try {
            long base = (long) ADDRESS.invokeExact((Object) buffer);
            return (long) function.invokeExact(state, fd, base + position, (long) length, flags);
        } catch (Throwable e) { // the handles are built for exactly these types: a bug
            throw new IllegalStateException("recv/send call failed", e);
        } finally {
            Reference.reachabilityFence(buffer); // its memory is freed once the buffer is unreachable
        }
    }

    /** The exception the JDK throws for the same error, with the words it uses. */
    private static IOException failure(int errno) {
        return new SocketException(switch (errno) {
            case ECONNRESET -> "Connection reset";
            case EPIPE -> "Broken pipe";
            case ETIMEDOUT -> "Connection timed out";
            case ENOTCONN -> "Socket is not connected";
            default -> "socket error (errno " + errno + ")";
        });
    }
}
