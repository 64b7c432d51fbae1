package traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** How a client's address is written in log lines: as HAProxy and nginx write it. */
class ClientTextTest {
    private static String text(String literal, int port) {
        return ConnectionRecord.text(new InetSocketAddress(InetAddress.ofLiteral(literal), port));
    }

    @Test
    void ipv4IsAddressColonPort() {
        assertEquals("192.0.2.7:51234", text("192.0.2.7", 51234));
    }

    @Test
    void ipv6IsBracketedAndCompressed() {
        assertEquals("[::1]:40000", text("::1", 40000));
        assertEquals("[::]:1", text("::", 1));
        assertEquals("[2001:db8::7]:443", text("2001:db8:0:0:0:0:0:7", 443));
        assertEquals("[fe80::1:0:0:0]:80", text("fe80:0:0:0:1:0:0:0", 80)); // of two equal runs, the first
        assertEquals("[2001:db8:0:1:1:1:1:1]:80", text("2001:db8:0:1:1:1:1:1", 80)); // a single zero group stays
        assertEquals("[1:0:0:2::3]:80", text("1:0:0:2:0:0:0:3", 80)); // the longest run
    }

    @Test
    void anIpv4MappedClientOfADualStackListenerIsPlainIpv4() {
        // Java gives ::ffff:127.0.0.1 as an Inet4Address
        assertEquals("127.0.0.1:9", text("::ffff:127.0.0.1", 9));
    }

    @Test
    void anUnknownClientIsAQuestionMark() {
        assertEquals("?", ConnectionRecord.text(null));
    }
}
