package proxyproto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.ProxyProtocol;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import routing.Learned;
import tcp.Preamble;
import tcp.PreambleChain;

/** Every accepted and rejected form of the PROXY header, v1 and v2, and the headers featherlb writes. */
class ProxyHeaderTest {
    static final InetSocketAddress CLIENT4 = address("192.0.2.7", 51234);
    static final InetSocketAddress SERVER4 = address("198.51.100.1", 443);
    static final InetSocketAddress CLIENT6 = address("2001:db8::7", 40000);
    static final InetSocketAddress SERVER6 = address("2001:db8::1", 8443);
    static final ProxyProtocol.Accept LOOPBACK = new ProxyProtocol.Accept(List.of(ProxyProtocol.Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(3));

    static InetSocketAddress address(String literal, int port) {
        return new InetSocketAddress(InetAddress.ofLiteral(literal), port);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static ProxyHeader.Result parse(byte[] bytes) {
        return ProxyHeader.parse(ByteBuffer.wrap(bytes));
    }

    static ProxyHeader parsed(byte[] bytes) {
        return assertInstanceOf(ProxyHeader.Parsed.class, parse(bytes), () -> "parsed: " + parse(bytes)).header();
    }

    static ProxyHeader.Invalid invalid(byte[] bytes) {
        return assertInstanceOf(ProxyHeader.Invalid.class, parse(bytes), () -> "invalid: " + new String(bytes, StandardCharsets.ISO_8859_1));
    }

    // --- v1 ---

    @Test
    void v1Tcp4AndTcp6NameTheClient() {
        ProxyHeader four = parsed(ascii("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\nGET /"));
        assertEquals(CLIENT4, four.source());
        assertEquals(SERVER4, four.destination());
        assertEquals(1, four.version());
        assertFalse(four.local());
        assertEquals("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n".length(), four.length(), "only the line is the header's");
        ProxyHeader six = parsed(ascii("PROXY TCP6 2001:db8::7 2001:db8:0:0:0:0:0:1 40000 8443\r\n"));
        assertEquals(CLIENT6, six.source());
        assertEquals(SERVER6, six.destination());
        assertEquals(address("0.0.0.0", 0), parsed(ascii("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n")).source());
        assertEquals(address("192.0.2.7", 1), parsed(ascii("PROXY TCP6 ::ffff:192.0.2.7 ::1 1 2\r\n")).source(), "a mapped address is IPv4");
    }

    @Test
    void v1UnknownKeepsThePeersAddressWhateverFollowsOnItsLine() {
        ProxyHeader unknown = parsed(ascii("PROXY UNKNOWN\r\n"));
        assertTrue(unknown.local());
        assertNull(unknown.source());
        assertEquals(15, unknown.length());
        String longest = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        assertEquals(107, longest.length());
        assertTrue(parsed(ascii(longest)).local());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "proxy TCP4 192.0.2.7 198.51.100.1 51234 443\r\n", // lower case
        "PROXY tcp4 192.0.2.7 198.51.100.1 51234 443\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\n", // LF alone
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\rX",
        "PROXY TCP4 192.0.2.07 198.51.100.1 51234 443\r\n", // leading zeros
        "PROXY TCP4 192.0.2.7 198.51.100.1 051234 443\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234 0443\r\n",
        "PROXY TCP4 192.0.2.256 198.51.100.1 51234 443\r\n", // out of range
        "PROXY TCP4 192.0.2.7 198.51.100.1 65536 443\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234 99999\r\n",
        "PROXY TCP4 192.0.2 198.51.100.1 51234 443\r\n",
        "PROXY TCP4 2001:db8::7 198.51.100.1 51234 443\r\n", // the wrong family
        "PROXY TCP6 192.0.2.7 2001:db8::1 51234 443\r\n",
        "PROXY TCP6 2001:db8::7%eth0 2001:db8::1 51234 443\r\n",
        "PROXY TCP6 [2001:db8::7] 2001:db8::1 51234 443\r\n",
        "PROXY TCP6 2001:db8:::7 2001:db8::1 51234 443\r\n",
        "PROXY TCP4  192.0.2.7 198.51.100.1 51234 443\r\n", // two spaces
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443 \r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 +1234 443\r\n",
        "PROXY UDP4 192.0.2.7 198.51.100.1 51234 443\r\n",
        "PROXY\r\n",
        "PROXY \r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234 44\u00003\r\n",
        "GET / HTTP/1.1\r\n",
        "SSH-2.0-OpenSSH\r\n",
    })
    void v1RejectsEveryFormTheSpecDoesNotAllow(String header) {
        assertEquals("proxy_invalid", invalid(ascii(header)).counted());
    }

    @Test
    void v1WithoutCrlfWithin107BytesIsRejectedAndNotBefore() {
        String noEnd = "PROXY UNKNOWN " + "x".repeat(200);
        assertInstanceOf(ProxyHeader.Incomplete.class, parse(ascii(noEnd.substring(0, 106))));
        assertTrue(invalid(ascii(noEnd.substring(0, 107))).why().contains("107"));
        assertInstanceOf(ProxyHeader.Incomplete.class, parse(ascii("PROXY UNKNOWN " + "x".repeat(91) + "\r")), "106 bytes and a CR: the LF may follow");
        invalid(ascii("PROXY UNKNOWN " + "x".repeat(92) + "\r\n")); // 108 with CRLF
    }

    @Test
    void aWrongStartIsRejectedAtOnceWithoutWaitingForMore() {
        invalid(ascii("G"));
        invalid(ascii("PROX "));
        invalid(new byte[] {0x16, 0x03, 0x01}); // a TLS ClientHello: never guessed to be anything but a missing header
        invalid(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x01});
        assertInstanceOf(ProxyHeader.Incomplete.class, parse(ascii("PROX")));
        assertInstanceOf(ProxyHeader.Incomplete.class, parse(new byte[] {0x0D, 0x0A, 0x0D}));
    }

    // --- v2 ---

    /** A v2 header: version/command, family/transport, the address block and TLVs as given. */
    static byte[] v2(int versionCommand, int familyTransport, byte[] addresses, byte[]... tlvs) {
        var body = new ByteArrayOutputStream();
        body.writeBytes(addresses);
        for (byte[] tlv : tlvs) body.writeBytes(tlv);
        ByteBuffer out = ByteBuffer.allocate(16 + body.size());
        out.put(ProxyHeader.V2_SIGNATURE).put((byte) versionCommand).put((byte) familyTransport).putShort((short) body.size()).put(body.toByteArray());
        return out.array();
    }

    static byte[] tlv(int type, byte[] value) {
        return ByteBuffer.allocate(3 + value.length).put((byte) type).putShort((short) value.length).put(value).array();
    }

    static byte[] inet4() {
        return ByteBuffer.allocate(12).put(CLIENT4.getAddress().getAddress()).put(SERVER4.getAddress().getAddress())
                .putShort((short) CLIENT4.getPort()).putShort((short) SERVER4.getPort()).array();
    }

    static byte[] inet6() {
        return ByteBuffer.allocate(36).put(CLIENT6.getAddress().getAddress()).put(SERVER6.getAddress().getAddress())
                .putShort((short) CLIENT6.getPort()).putShort((short) SERVER6.getPort()).array();
    }

    /** {@code header} with its CRC32C TLV (4 zero bytes at {@code at}) filled in. */
    static byte[] withCrc(byte[] header, int at) {
        CRC32C crc = new CRC32C();
        crc.update(header);
        ByteBuffer.wrap(header).putInt(at, (int) crc.getValue());
        return header;
    }

    @Test
    void v2ProxyOverTcp4AndTcp6NamesTheClient() {
        ProxyHeader four = parsed(v2(0x21, 0x11, inet4()));
        assertEquals(CLIENT4, four.source());
        assertEquals(SERVER4, four.destination());
        assertEquals(28, four.length());
        assertEquals(2, four.version());
        ProxyHeader six = parsed(v2(0x21, 0x21, inet6()));
        assertEquals(CLIENT6, six.source());
        assertEquals(SERVER6, six.destination());
        assertEquals(52, six.length());
    }

    @Test
    void v2LocalKeepsThePeersAddressWithOrWithoutAddressesAndTlvs() {
        assertTrue(parsed(v2(0x20, 0x00, new byte[0])).local());
        ProxyHeader withAddresses = parsed(v2(0x20, 0x11, inet4(), tlv(0x04, new byte[3])));
        assertTrue(withAddresses.local());
        assertNull(withAddresses.source(), "LOCAL: the addresses are not the client's");
        assertTrue(parsed(v2(0x20, 0x11, new byte[0])).local(), "LOCAL: the family is ignored, and so is a missing address block");
        assertTrue(parsed(v2(0x20, 0x55, new byte[0])).local());
        assertTrue(parsed(v2(0x21, 0x00, new byte[0])).local(), "PROXY with UNSPEC: nothing to use");
        assertTrue(parsed(v2(0x21, 0x31, new byte[216])).local(), "a UNIX socket has no IP address");
        assertTrue(parsed(v2(0x21, 0x12, inet4())).local(), "DGRAM: not this TCP connection's addresses");
    }

    @Test
    void v2SaysWhatItsAddressesAreOfAndUdpHeadersNameTheirDatagramsClient() {
        ProxyHeader udp4 = parsed(v2(0x21, 0x12, inet4()));
        assertEquals(ProxyHeader.Carries.UDP, udp4.carries());
        assertEquals(CLIENT4, udp4.source(), "UDP4: the datagram's client, for a UDP route");
        assertEquals(SERVER4, udp4.destination());
        ProxyHeader udp6 = parsed(v2(0x21, 0x22, inet6()));
        assertEquals(ProxyHeader.Carries.UDP, udp6.carries());
        assertEquals(CLIENT6, udp6.source());
        assertEquals(ProxyHeader.Carries.TCP, parsed(v2(0x21, 0x11, inet4())).carries());
        assertEquals(ProxyHeader.Carries.TCP, parsed(v2(0x21, 0x21, inet6())).carries());
        assertEquals(ProxyHeader.Carries.TCP, parsed(ascii("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n")).carries());
        assertEquals(ProxyHeader.Carries.NOTHING, parsed(v2(0x20, 0x12, inet4())).carries(), "LOCAL, whatever its family says");
        assertNull(parsed(v2(0x20, 0x12, inet4())).source());
        assertEquals(ProxyHeader.Carries.NOTHING, parsed(v2(0x21, 0x00, new byte[0])).carries(), "UNSPEC");
        assertEquals(ProxyHeader.Carries.NOTHING, parsed(HeaderEncoder.V1_UNKNOWN).carries());
        assertEquals(ProxyHeader.Carries.OTHER, parsed(v2(0x21, 0x31, new byte[216])).carries(), "a UNIX socket");
        assertEquals(ProxyHeader.Carries.OTHER, parsed(v2(0x21, 0x10, inet4())).carries(), "IPv4 without a transport");
        assertEquals(ProxyHeader.Carries.UDP, parsed(HeaderEncoder.v2Udp(CLIENT4, SERVER4)).carries(), "what send_proxy writes on UDP reads back");
        assertEquals(CLIENT4, parsed(HeaderEncoder.v2Udp(CLIENT4, SERVER4)).source());
    }

    @Test
    void v2TlvsAreReadAndUnknownOnesSkipped() {
        byte[] header = v2(0x21, 0x11, inet4(),
                tlv(0x01, ascii("h2")),
                tlv(0x02, ascii("app.example.com")),
                tlv(0x04, new byte[10]),
                tlv(0xE0, ascii("custom")),
                tlv(0xEF, new byte[0]),
                tlv(0x20, new byte[] {1, 0, 0, 0, 0}), // SSL
                tlv(0x30, ascii("netns")),
                tlv(0x05, ascii("1234")));
        ProxyHeader h = parsed(header);
        assertArrayEquals(ascii("h2"), h.alpn());
        assertEquals("app.example.com", h.authority());
        assertArrayEquals(ascii("1234"), h.uniqueId());
        assertEquals(header.length, h.length());
        assertEquals(CLIENT4, h.source());
    }

    @Test
    void v2Crc32cIsCheckedWhenPresent() {
        byte[] header = v2(0x21, 0x11, inet4(), tlv(0x03, new byte[4]), tlv(0x05, ascii("id-1")));
        int at = 16 + 12 + 3;
        withCrc(header, at);
        assertEquals(CLIENT4, parsed(header).source());
        header[header.length - 1] ^= 1; // a bit flipped after the CRC was computed
        assertEquals("proxy_crc", invalid(header).counted());
        byte[] wrongSize = v2(0x21, 0x11, inet4(), tlv(0x03, new byte[3]));
        assertEquals("proxy_invalid", invalid(wrongSize).counted());
    }

    @Test
    void v2RejectsABadVersionCommandLengthOrTlv() {
        invalid(v2(0x11, 0x11, inet4())); // version 1 in a v2 signature
        invalid(v2(0x31, 0x11, inet4()));
        invalid(v2(0x22, 0x11, inet4())); // command 2
        invalid(v2(0x2F, 0x11, inet4()));
        invalid(v2(0x21, 0x41, inet4())); // family 4
        invalid(v2(0x21, 0x13, inet4())); // transport 3
        invalid(v2(0x21, 0x11, new byte[11])); // too short for two IPv4 addresses and ports
        invalid(v2(0x21, 0x21, new byte[12]));
        invalid(v2(0x21, 0x11, inet4(), new byte[] {0x04, 0x00})); // a TLV header cut short
        invalid(v2(0x21, 0x11, inet4(), new byte[] {0x04, 0x00, 0x05, 1, 2})); // a TLV running past the header
        invalid(v2(0x21, 0x11, inet4(), tlv(0x05, new byte[129]))); // UNIQUE_ID longer than the spec's 128
        invalid(v2(0x21, 0x11, inet4(), tlv(0x02, new byte[0])));
        assertEquals(CLIENT4, parsed(v2(0x21, 0x11, inet4(), tlv(0x05, new byte[128]))).source());
    }

    @Test
    void v2LongerThan536BytesIsRejectedFromItsFixedPartAlone() {
        byte[] fits = v2(0x21, 0x11, inet4(), tlv(0x04, new byte[536 - 28 - 3]));
        assertEquals(536, fits.length);
        assertEquals(CLIENT4, parsed(fits).source());
        byte[] over = v2(0x21, 0x11, inet4(), tlv(0x04, new byte[536 - 28 - 2]));
        assertTrue(invalid(java.util.Arrays.copyOf(over, 16)).why().contains("537"), "decided on the first 16 bytes");
    }

    // --- as a preamble step: bytes one at a time, the payload after it, trust ---

    static List<byte[]> valid() {
        return List.of(
                ascii("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n"),
                ascii("PROXY TCP6 2001:db8::7 2001:db8::1 40000 8443\r\n"),
                ascii("PROXY UNKNOWN\r\n"),
                v2(0x21, 0x11, inet4()),
                v2(0x21, 0x21, inet6(), tlv(0x02, ascii("app.example.com")), tlv(0x05, ascii("77"))),
                withCrc(v2(0x21, 0x11, inet4(), tlv(0x03, new byte[4])), 31),
                v2(0x20, 0x00, new byte[0]));
    }

    @Test
    void splitOneByteAtATimeItNeedsMoreUntilTheLastByteThenConsumesOnlyTheHeader() {
        byte[] payload = ascii("GET / HTTP/1.1\r\n\r\n");
        for (byte[] header : valid()) {
            byte[] all = java.util.Arrays.copyOf(header, header.length + payload.length);
            System.arraycopy(payload, 0, all, header.length, payload.length);
            AcceptProxy step = new AcceptProxy(LOOPBACK);
            for (int n = 1; n < header.length; n++) {
                assertEquals(Preamble.NeedMore.INSTANCE, step.read(ByteBuffer.wrap(all, 0, n).slice()), "after " + n + " of " + header.length);
            }
            for (int n = header.length; n <= all.length; n++) {
                Preamble.Done done = assertInstanceOf(Preamble.Done.class, step.read(ByteBuffer.wrap(all, 0, n).slice()));
                assertEquals(header.length, done.consumed(), "the payload after it is not the header's");
            }
        }
    }

    @Test
    void whatTheHeaderSaysIsLearnedAndLocalSaysNothing() {
        AcceptProxy step = new AcceptProxy(LOOPBACK);
        assertEquals(new Learned(CLIENT4, null), ((Preamble.Done) step.read(ByteBuffer.wrap(v2(0x21, 0x11, inet4())))).learned());
        assertEquals(Learned.NOTHING, ((Preamble.Done) step.read(ByteBuffer.wrap(v2(0x20, 0x11, inet4())))).learned());
        assertEquals(Learned.NOTHING, ((Preamble.Done) step.read(ByteBuffer.wrap(ascii("PROXY UNKNOWN\r\n")))).learned());
    }

    @Test
    void onlyPeersInFromMaySendAHeaderTheOthersAreRejectedBeforeAnyByte() {
        AcceptProxy step = new AcceptProxy(new ProxyProtocol.Accept(
                List.of(ProxyProtocol.Cidr.parse("10.0.0.0/8"), ProxyProtocol.Cidr.parse("127.0.0.1"), ProxyProtocol.Cidr.parse("2001:db8::/32")),
                Duration.ofSeconds(3)));
        assertEquals(Preamble.NeedMore.INSTANCE, step.open(address("10.200.3.4", 1)));
        assertEquals(Preamble.NeedMore.INSTANCE, step.open(address("127.0.0.1", 1)));
        assertEquals(Preamble.NeedMore.INSTANCE, step.open(address("2001:db8:ffff::1", 1)));
        assertEquals("proxy_untrusted", assertInstanceOf(Preamble.Fail.class, step.open(address("127.0.0.5", 1))).reason());
        assertEquals("proxy_untrusted", assertInstanceOf(Preamble.Fail.class, step.open(address("11.0.0.1", 1))).reason());
        assertEquals("proxy_untrusted", assertInstanceOf(Preamble.Fail.class, step.open(address("2001:db9::1", 1))).reason());
        assertEquals("proxy_untrusted", assertInstanceOf(Preamble.Fail.class, step.open(null)).reason());
    }

    @Test
    void theTimeoutAndItsReasonAreTheSettings() {
        AcceptProxy step = new AcceptProxy(new ProxyProtocol.Accept(LOOPBACK.from(), Duration.ofMillis(1500)));
        assertEquals(Duration.ofMillis(1500), step.timeout());
        assertEquals("proxy_timeout", step.timedOut());
        assertEquals(536, step.limit());
    }

    /** A second step after the header, as SNI routing's ClientHello: it sees only the bytes after the header. */
    private record Hello(Duration timeout) implements Preamble {
        @Override
        public Verdict read(ByteBuffer seen) {
            if (seen.remaining() < 5) return NeedMore.INSTANCE;
            byte[] five = new byte[5];
            seen.get(0, five);
            if (!new String(five, StandardCharsets.US_ASCII).equals("HELLO")) return new Fail("not a hello", "sni_invalid");
            return new Done(0, new Learned(null, "app.example.com")); // peeks: consumes nothing
        }

        @Override
        public int limit() {
            return 64;
        }
    }

    @Test
    void inAChainTheNextStepSeesTheBytesAfterTheHeaderAndTheLearnedValuesMerge() {
        byte[] header = v2(0x21, 0x11, inet4());
        byte[] all = java.util.Arrays.copyOf(header, header.length + 8);
        System.arraycopy(ascii("HELLO..."), 0, all, header.length, 8);
        for (int split = 1; split <= all.length; split++) { // one segment, or two split anywhere
            PreambleChain chain = new PreambleChain(List.of(new AcceptProxy(LOOPBACK), new Hello(Duration.ofSeconds(5))));
            assertEquals(Duration.ofSeconds(3), chain.timeout(), "the PROXY header's deadline first");
            Preamble.Verdict first = chain.read(ByteBuffer.wrap(all, 0, split).slice());
            if (split >= header.length + 5) {
                assertInstanceOf(Preamble.Done.class, first);
                continue;
            }
            assertEquals(Preamble.NeedMore.INSTANCE, first);
            if (split >= header.length) assertEquals(Duration.ofSeconds(5), chain.timeout(), "the header is read: its timeout ends");
            Preamble.Done done = assertInstanceOf(Preamble.Done.class, chain.read(ByteBuffer.wrap(all)));
            assertEquals(header.length, done.consumed(), "the header consumed, the hello kept for the endpoint");
            assertEquals(new Learned(CLIENT4, "app.example.com"), done.learned());
        }
    }

    // --- what featherlb writes ---

    @Test
    void v1IsWrittenAsTcp4OrTcp6AndAMixedPairMapsIpv4() {
        assertEquals("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n", new String(HeaderEncoder.v1(CLIENT4, SERVER4), StandardCharsets.US_ASCII));
        assertEquals("PROXY TCP6 2001:db8:0:0:0:0:0:7 2001:db8:0:0:0:0:0:1 40000 8443\r\n",
                new String(HeaderEncoder.v1(CLIENT6, SERVER6), StandardCharsets.US_ASCII));
        assertEquals("PROXY TCP6 ::ffff:192.0.2.7 2001:db8:0:0:0:0:0:1 51234 8443\r\n",
                new String(HeaderEncoder.v1(CLIENT4, SERVER6), StandardCharsets.US_ASCII));
        assertEquals("PROXY UNKNOWN\r\n", new String(HeaderEncoder.v1(null, SERVER4), StandardCharsets.US_ASCII));
        for (var pair : List.of(List.of(CLIENT4, SERVER4), List.of(CLIENT6, SERVER6), List.of(CLIENT4, SERVER6), List.of(CLIENT6, SERVER4))) {
            ProxyHeader back = parsed(HeaderEncoder.v1(pair.get(0), pair.get(1)));
            assertEquals(pair.get(0), back.source());
            assertEquals(pair.get(1), back.destination());
        }
    }

    @Test
    void v2IsWrittenWithAuthorityWhenANameWasLearnedAndTheConnectionIdAsUniqueId() {
        ProxyHeader back = parsed(HeaderEncoder.v2(CLIENT4, SERVER4, "app.example.com", "42"));
        assertEquals(CLIENT4, back.source());
        assertEquals(SERVER4, back.destination());
        assertEquals("app.example.com", back.authority());
        assertArrayEquals(ascii("42"), back.uniqueId());
        byte[] plain = HeaderEncoder.v2(CLIENT4, SERVER4, null, "42");
        assertEquals(16 + 12 + 3 + 2, plain.length, "no AUTHORITY without a server name");
        assertEquals(0x21, plain[12]);
        assertEquals(0x11, plain[13]);
        ProxyHeader mixed = parsed(HeaderEncoder.v2(CLIENT4, SERVER6, null, "1"));
        assertEquals(CLIENT4, mixed.source(), "IPv4 mapped into an INET6 header");
        assertEquals(SERVER6, mixed.destination());
        assertEquals(0x21, HeaderEncoder.v2(CLIENT4, SERVER6, null, "1")[13]);
        assertEquals(CLIENT6, parsed(HeaderEncoder.v2(CLIENT6, SERVER6, null, null)).source());
    }

    @Test
    void theHealthCheckHeadersAreLocal() {
        assertTrue(parsed(HeaderEncoder.V2_LOCAL).local());
        assertEquals(16, HeaderEncoder.V2_LOCAL.length);
        assertEquals(0x20, HeaderEncoder.V2_LOCAL[12]);
        assertTrue(parsed(HeaderEncoder.V1_UNKNOWN).local());
    }

    // --- anything at all: no exception, always one of the three answers ---

    /**
     * 50,000 inputs in CI; {@code make fuzz} sets FEATHERLB_FUZZ_SECONDS and runs for that long
     * instead, from a seed it prints, so a failure can be replayed.
     */
    @Test
    void randomAndMutatedInputsAlwaysEndInAnAnswer() {
        String seconds = System.getenv("FEATHERLB_FUZZ_SECONDS");
        long start = seconds == null ? 14 : System.nanoTime();
        long until = seconds == null ? Long.MAX_VALUE : System.nanoTime() + Long.parseLong(seconds) * 1_000_000_000L;
        int count = seconds == null ? 50_000 : Integer.MAX_VALUE;
        if (seconds != null) System.out.println("fuzzing the PROXY header reader for " + seconds + " s from seed " + start);
        Random random = new Random(start);
        List<byte[]> seeds = valid();
        for (int i = 0; i < count && System.nanoTime() < until; i++) {
            byte[] input;
            if (i % 4 == 0) {
                input = new byte[random.nextInt(600)];
                random.nextBytes(input);
                if (input.length > 0 && random.nextBoolean()) input[0] = (byte) (random.nextBoolean() ? 'P' : 0x0D);
            } else {
                byte[] seed = seeds.get(random.nextInt(seeds.size()));
                input = java.util.Arrays.copyOf(seed, Math.max(1, seed.length + random.nextInt(9) - 4));
                for (int m = random.nextInt(4); m >= 0; m--) input[random.nextInt(input.length)] = (byte) random.nextInt(256);
            }
            ProxyHeader.Result result = ProxyHeader.parse(ByteBuffer.wrap(input));
            if (result instanceof ProxyHeader.Parsed(ProxyHeader h)) {
                assertTrue(h.length() <= input.length && h.length() <= ProxyHeader.V2_MAX, "consumes what it read, within the bound");
            }
        }
    }
}
