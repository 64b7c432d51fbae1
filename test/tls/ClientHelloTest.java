package tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import routing.Learned;
import tcp.Preamble;

/**
 * The ClientHello peek: hellos built to the byte and the JDK's own, whole, one byte at a time,
 * over several records, at and over the 16 KiB bound, with a record after them; bytes that are
 * not TLS; mutated hellos, which must end in a verdict and never an exception.
 */
class ClientHelloTest {
    /** What the reader says after being shown {@code bytes} grown by {@code step} bytes per call, as a connection's reads show them. */
    private static ClientHello.Result feed(byte[] bytes, int step) {
        ClientHello reader = new ClientHello();
        ClientHello.Result result = ClientHello.NeedMore.INSTANCE;
        for (int end = Math.min(step, bytes.length); ; end = Math.min(end + step, bytes.length)) {
            result = reader.read(ByteBuffer.wrap(bytes, 0, end).slice().asReadOnlyBuffer());
            if (!(result instanceof ClientHello.NeedMore) || end == bytes.length) return result;
        }
    }

    private static ClientHello.Result whole(byte[] bytes) {
        return feed(bytes, bytes.length);
    }

    @Test
    void theServerNameOfAHelloInOneRecord() {
        assertEquals(new ClientHello.Hello("app.example.com"), whole(Hellos.tls("app.example.com")));
    }

    @Test
    void theNameIsLowerCaseWithoutItsTrailingDot() {
        assertEquals(new ClientHello.Hello("app.example.com"), whole(Hellos.tls("App.EXAMPLE.com.")));
    }

    @Test
    void aHelloWithoutServerNameHasNone() {
        assertEquals(new ClientHello.Hello(null), whole(Hellos.tls(null)));
    }

    /** Found by make fuzz (test/fuzz/corpus/clienthello/empty-name, two-trailing-dots): "" and "app.example.co." were server names. */
    @Test
    void aNameWithAnEmptyLabelIsNoName() {
        for (String name : List.of("", ".", "app.example.com..", "app..example.com", ".app.example.com")) {
            assertEquals(new ClientHello.Hello(null), whole(Hellos.tls(name)), name);
        }
    }

    @Test
    void aNameThatIsNotAsciiTextIsNoName() {
        assertEquals(new ClientHello.Hello(null), whole(Hellos.tls("app example.com")));
        assertEquals(new ClientHello.Hello(null), whole(Hellos.tls("app\n.example.com")));
        assertEquals(new ClientHello.Hello(null), whole(Hellos.tls("caf\u00e9.test")));
    }

    @Test
    void theJdksOwnHello() throws Exception {
        assertEquals(new ClientHello.Hello("app.example.com"), whole(Hellos.jdk("app.example.com", List.of())));
        assertEquals(new ClientHello.Hello("db.example.com"), whole(Hellos.jdk("db.example.com", List.of("h2", "http/1.1"))));
        assertEquals(new ClientHello.Hello(null), whole(Hellos.jdk(null, List.of())));
    }

    @Test
    void oneByteAtATimeIsAskedForMoreUntilTheLastByte() throws Exception {
        byte[] hello = Hellos.jdk("app.example.com", List.of("h2"));
        ClientHello reader = new ClientHello();
        for (int end = 1; end < hello.length; end++) {
            assertEquals(ClientHello.NeedMore.INSTANCE, reader.read(ByteBuffer.wrap(hello, 0, end).slice()), "after " + end + " bytes");
        }
        assertEquals(new ClientHello.Hello("app.example.com"), reader.read(ByteBuffer.wrap(hello)));
    }

    @Test
    void aHelloOverManyRecordsInAnySegmentsIsReassembled() {
        byte[] handshake = Hellos.handshake("db.example.com", 3000);
        for (int fragment : new int[] {1, 7, 512, 2999, 3004}) {
            byte[] records = Hellos.records(handshake, fragment);
            for (int step : new int[] {1, 3, 5, 6, 100, records.length}) {
                assertEquals(new ClientHello.Hello("db.example.com"), feed(records, step), "records of " + fragment + ", reads of " + step);
            }
        }
    }

    @Test
    void theLargestHelloIsReadAndOneByteMoreIsTooLargeAsSoonAsItsHeaderSaysSo() {
        byte[] largest = Hellos.records(Hellos.handshake("app.example.com", ClientHello.MAX_HELLO), 512);
        assertEquals(new ClientHello.Hello("app.example.com"), feed(largest, 1000));
        assertTrue(largest.length <= SniPreamble.LIMIT, largest.length + " bytes fit the preamble's bound " + SniPreamble.LIMIT);
        byte[] over = Hellos.records(Hellos.handshake("app.example.com", ClientHello.MAX_HELLO + 1), 512);
        assertEquals(new ClientHello.TooLarge(ClientHello.MAX_HELLO + 1), whole(Arrays.copyOf(over, 9)), "decided from the first 9 bytes");
    }

    @Test
    void aRecordAfterTheHelloDoesNotMakeItNotTls() {
        byte[] hello = Hellos.tls("app.example.com");
        byte[] then = {20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 5, 'h', 'e', 'l', 'l', 'o'}; // change_cipher_spec, application data
        byte[] both = Arrays.copyOf(hello, hello.length + then.length);
        System.arraycopy(then, 0, both, hello.length, then.length);
        assertEquals(new ClientHello.Hello("app.example.com"), whole(both));
        assertEquals(new ClientHello.Hello("app.example.com"), feed(both, 1));
    }

    @Test
    void bytesThatAreNotTlsAreSaidToBeSoFromTheFirstRecordHeader() {
        assertInstanceOf(ClientHello.NotTls.class, whole("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertInstanceOf(ClientHello.NotTls.class, whole("SSH-2".getBytes(StandardCharsets.US_ASCII)));
        assertInstanceOf(ClientHello.NotTls.class, whole(new byte[] {22, 2, 0, 0, 5}), "SSL 2 record version");
        assertInstanceOf(ClientHello.NotTls.class, whole(new byte[] {22, 3, 1, 0, 0}), "an empty record");
        assertInstanceOf(ClientHello.NotTls.class, whole(new byte[] {22, 3, 1, 0x48, 0x01}), "a record over 2^14");
        assertInstanceOf(ClientHello.NotTls.class, whole(new byte[] {22, 3, 1, 0, 4, 2, 0, 0, 0}), "a ServerHello");
        assertEquals(ClientHello.NeedMore.INSTANCE, whole(new byte[] {22, 3, 1, 0}), "four bytes say nothing yet");
    }

    @Test
    void aHelloWhoseFieldsRunPastItsLengthIsNotTls() {
        byte[] handshake = Hellos.handshake("app.example.com", 0);
        handshake[4 + 2 + 32] = (byte) 200; // a session id longer than the hello
        assertInstanceOf(ClientHello.NotTls.class, whole(Hellos.records(handshake, 16384)));
        byte[] cut = Hellos.handshake("app.example.com", 0);
        int length = cut.length - 4 - 10; // the last 10 bytes cut off, the length says so
        byte[] shorter = Arrays.copyOf(cut, cut.length - 10);
        shorter[1] = (byte) (length >> 16);
        shorter[2] = (byte) (length >> 8);
        shorter[3] = (byte) length;
        assertInstanceOf(ClientHello.NotTls.class, whole(Hellos.records(shorter, 16384)));
        // a handshake record, then an alert record before the hello ended
        byte[] split = Hellos.records(Hellos.handshake("app.example.com", 0), 40);
        split[45] = 21;
        assertInstanceOf(ClientHello.NotTls.class, whole(split));
    }

    /**
     * Random and mutated inputs: every one ends in a verdict, none in an exception; the reader never
     * asks to read past its bound. 20,000 inputs in CI; {@code make fuzz} sets FEATHERLB_FUZZ_SECONDS
     * and runs for that long instead, from a seed it prints, so a failure can be replayed.
     */
    @Test
    void mutatedAndRandomInputsEndInAVerdict() throws Exception {
        String seconds = System.getenv("FEATHERLB_FUZZ_SECONDS");
        long start = seconds == null ? 14 : System.nanoTime();
        long until = seconds == null ? Long.MAX_VALUE : System.nanoTime() + Long.parseLong(seconds) * 1_000_000_000L;
        int count = seconds == null ? 20_000 : Integer.MAX_VALUE;
        if (seconds != null) System.out.println("fuzzing the ClientHello parser for " + seconds + " s from seed " + start);
        Random random = new Random(start);
        List<byte[]> seeds = new ArrayList<>(List.of(Hellos.tls("app.example.com"), Hellos.jdk("db.example.com", List.of("h2")),
                Hellos.records(Hellos.handshake("x.a.test", 2000), 100)));
        int decided = 0;
        int i = 0;
        for (; i < count && System.nanoTime() < until; i++) {
            byte[] input;
            if (i % 10 == 0) {
                input = new byte[random.nextInt(64)];
                random.nextBytes(input);
            } else {
                input = seeds.get(i % seeds.size()).clone();
                for (int m = random.nextInt(1, 6); m > 0; m--) input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                if (random.nextBoolean()) input = Arrays.copyOf(input, random.nextInt(1, input.length + 1));
            }
            ClientHello.Result result = feed(input, 1 + random.nextInt(40));
            if (!(result instanceof ClientHello.NeedMore)) decided++;
        }
        assertTrue(decided > i / 2, decided + " decided"); // in CI: more than 10,000 of the 20,000
    }

    @Test
    void thePreambleConsumesNothingAndFailsOnlyTooLargeHellos() {
        var step = new SniPreamble(Duration.ofSeconds(5));
        assertEquals(Duration.ofSeconds(5), step.timeout());
        assertEquals(new Preamble.Done(0, new Learned(null, "app.example.com")), step.read(ByteBuffer.wrap(Hellos.tls("app.example.com"))));
        assertEquals(new Preamble.Done(0, Learned.NOTHING), new SniPreamble(Duration.ofSeconds(1)).read(ByteBuffer.wrap(Hellos.tls(null))));
        assertEquals(new Preamble.Done(0, Learned.NOTHING), new SniPreamble(Duration.ofSeconds(1)).read(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII))));
        byte[] over = Hellos.records(Hellos.handshake(null, ClientHello.MAX_HELLO + 1), 512);
        assertEquals(new Preamble.Fail(SniPreamble.TOO_LARGE), new SniPreamble(Duration.ofSeconds(1)).read(ByteBuffer.wrap(over)));
    }
}
