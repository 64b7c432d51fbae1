package health;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/** Reading an endpoint's reply with a deadline, and showing it in a log line. */
final class Reply {
    /** Decides from the bytes read so far whether to stop reading. */
    @FunctionalInterface
    interface Enough {
        boolean enough(byte[] bytes, int length);
    }

    private Reply() {
    }

    static void send(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    /**
     * Reads until {@code enough} says so, {@code max} bytes, or EOF, and returns what came.
     *
     * @throws SocketTimeoutException when {@code deadlineNanos} passes first
     */
    static byte[] read(SocketChannel channel, long deadlineNanos, int max, Enough enough) throws IOException {
        byte[] bytes = new byte[max];
        int length = 0;
        // the socket adaptor's stream honours SO_TIMEOUT, which a blocking channel's read does not
        InputStream in = channel.socket().getInputStream();
        while (length < max && !enough.enough(bytes, length)) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("no reply in time");
            channel.socket().setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
            int n = in.read(bytes, length, max - length);
            if (n < 0) break;
            length += n;
        }
        return Arrays.copyOf(bytes, length);
    }

    /** Bytes as a quoted string a person can read: control bytes escaped, cut after 40 characters. */
    static String show(byte[] bytes) {
        StringBuilder s = new StringBuilder("'");
        for (int i = 0; i < bytes.length && i < 40; i++) {
            int b = bytes[i] & 0xff;
            switch (b) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case '\'' -> s.append("\\'");
                default -> s.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
            }
        }
        return s.append(bytes.length > 40 ? "'..." : "'").toString();
    }
}
