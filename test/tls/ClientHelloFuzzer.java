package tls;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzz target for the ClientHello parser: the first byte sets the size of the reads the rest is
 * shown in (1..64 bytes, as a connection's reads come); any bytes end in a verdict or "need more",
 * never an exception; the verdict does not depend on how the bytes were split; a server name is
 * lower-case ASCII without an empty label; "too large" is only said over the bound.
 * Run by {@code make fuzz} through Jazzer and on its corpus by {@code fuzz.CorpusTest}.
 */
public final class ClientHelloFuzzer {
    private ClientHelloFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) return;
        int step = 1 + (data[0] & 0x3f);
        byte[] bytes = Arrays.copyOfRange(data, 1, data.length);
        ClientHello.Result whole = new ClientHello().read(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
        ClientHello reader = new ClientHello();
        ClientHello.Result stepped = ClientHello.NeedMore.INSTANCE;
        for (int end = Math.min(step, bytes.length); ; end = Math.min(end + step, bytes.length)) {
            stepped = reader.read(ByteBuffer.wrap(bytes, 0, end).slice().asReadOnlyBuffer());
            if (!(stepped instanceof ClientHello.NeedMore) || end == bytes.length) break;
        }
        if (!whole.equals(stepped)) throw new AssertionError("read whole: " + whole + ", in reads of " + step + ": " + stepped);
        if (whole instanceof ClientHello.Hello(String name) && name != null
                && (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..") || !name.chars().allMatch(c -> c > 32 && c < 127 && !Character.isUpperCase(c)))) {
            throw new AssertionError("the server name " + name);
        }
        if (whole instanceof ClientHello.TooLarge(int length) && length <= ClientHello.MAX_HELLO) {
            throw new AssertionError("too large at " + length + " bytes");
        }
    }
}
