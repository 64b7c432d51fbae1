package proxyproto;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzz target for the PROXY v1/v2 reader: any bytes end in one of its three answers, never an
 * exception; a parsed header lies within what was read and within the protocol's bound, and is
 * self-delimiting (its own bytes alone parse to the same header, one byte fewer is incomplete);
 * a header names a client exactly when it carries TCP or UDP over IP, and is local unless TCP;
 * "incomplete" is only said of fewer bytes than the longest header, so a reader never waits for
 * more than the bound. Run by {@code make fuzz} through Jazzer and on its corpus by {@code fuzz.CorpusTest}.
 */
public final class ProxyHeaderFuzzer {
    private ProxyHeaderFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        switch (ProxyHeader.parse(ByteBuffer.wrap(data))) {
            case ProxyHeader.Incomplete ignored -> {
                if (data.length >= ProxyHeader.V2_MAX) throw new AssertionError("incomplete after " + data.length + " bytes");
            }
            case ProxyHeader.Invalid invalid -> {
                if (!invalid.counted().equals("proxy_invalid") && !invalid.counted().equals("proxy_crc")) {
                    throw new AssertionError("counted as " + invalid.counted());
                }
            }
            case ProxyHeader.Parsed(ProxyHeader h) -> {
                int max = h.version() == 1 ? ProxyHeader.V1_MAX : ProxyHeader.V2_MAX;
                if (h.length() < 1 || h.length() > data.length || h.length() > max) {
                    throw new AssertionError("a v" + h.version() + " header of " + h.length() + " bytes out of " + data.length);
                }
                if (!(ProxyHeader.parse(ByteBuffer.wrap(Arrays.copyOf(data, h.length()))) instanceof ProxyHeader.Parsed(ProxyHeader alone))
                        || alone.length() != h.length() || !java.util.Objects.equals(alone.source(), h.source())
                        || !java.util.Objects.equals(alone.destination(), h.destination())) {
                    throw new AssertionError("the header's own " + h.length() + " bytes do not parse to it");
                }
                if ((h.carries() == ProxyHeader.Carries.TCP || h.carries() == ProxyHeader.Carries.UDP) != (h.source() != null)
                        || (h.carries() == ProxyHeader.Carries.TCP) == h.local()) {
                    throw new AssertionError("a header carrying " + h.carries() + " with source " + h.source() + ", local " + h.local());
                }
                if (!(ProxyHeader.parse(ByteBuffer.wrap(data, 0, h.length() - 1).slice()) instanceof ProxyHeader.Incomplete)) {
                    throw new AssertionError("one byte short of a header of " + h.length() + " is not incomplete");
                }
            }
        }
    }
}
