package discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import config.Discovery;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import testing.Dnsmasq;

/** The dnsjava resolver against a real dnsmasq: A records as they change, SRV, a name that is not there, a server that does not answer. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsjavaResolverTest {
    static Dnsmasq dns;
    static Discovery.Nameserver server;
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Dnsmasq.available(), "dnsmasq is not installed (build/peers.sh installs it)");
        dns = new Dnsmasq(List.of("_http._tcp.web.test,one.test,8001,10,65535", "_http._tcp.web.test,two.test,8002,10,0",
                "_http._tcp.web.test,spare.test,8003,20,100", "_gone._tcp.web.test,."));
        server = new Discovery.Nameserver("127.0.0.1", dns.port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) dns.close();
    }

    static Discovery.Source dns(String name) {
        return new Discovery.Source(Discovery.Kind.DNS, name, 80, 1, false, null);
    }

    static List<Resolver.Found> sorted(List<Resolver.Found> found) {
        return found.stream().sorted(Comparator.comparing(Resolver.Found::address)).toList();
    }

    @Test
    void everyAddressOfTheNameAsTheFileChangesWithNoCacheInBetween() throws Exception {
        dns.addresses("backend.test", "127.0.0.11", "127.0.0.12");
        assertEquals(List.of(Resolver.Found.address("127.0.0.11"), Resolver.Found.address("127.0.0.12")),
                sorted(DnsjavaResolver.INSTANCE.lookup(dns("backend.test"), server, TIMEOUT)));
        dns.addresses("backend.test", "127.0.0.12", "127.0.0.13", "::1");
        List<Resolver.Found> after = List.of();
        for (int i = 0; i < 100 && after.size() != 3; i++) { // until dnsmasq has read the file again (inotify)
            Thread.sleep(50);
            after = sorted(DnsjavaResolver.INSTANCE.lookup(dns("backend.test"), server, TIMEOUT));
        }
        assertEquals(List.of(Resolver.Found.address("0:0:0:0:0:0:0:1"), Resolver.Found.address("127.0.0.12"), Resolver.Found.address("127.0.0.13")), after);
    }

    @Test
    void srvRecordsGiveEachTargetsAddressesWithThePortPriorityAndWeight() throws Exception {
        dns.addresses("one.test", "127.0.0.21");
        dns.addresses("two.test", "127.0.0.22", "127.0.0.23");
        dns.addresses("spare.test", "127.0.0.24");
        Discovery.Source srv = new Discovery.Source(Discovery.Kind.SRV, "_http._tcp.web.test", 0, 1, false, null);
        assertEquals(List.of(new Resolver.Found("127.0.0.21", 8001, 10, 65535), new Resolver.Found("127.0.0.22", 8002, 10, 0),
                new Resolver.Found("127.0.0.23", 8002, 10, 0), new Resolver.Found("127.0.0.24", 8003, 20, 100)),
                sorted(DnsjavaResolver.INSTANCE.lookup(srv, server, TIMEOUT)));
        Discovery.Source gone = new Discovery.Source(Discovery.Kind.SRV, "_gone._tcp.web.test", 0, 1, false, null);
        assertEquals(List.of(), DnsjavaResolver.INSTANCE.lookup(gone, server, TIMEOUT), "a target of '.' means: not offered there");
    }

    @Test
    void aNameThatIsNotThereIsAnEmptyAnswerNotAFailure() throws Exception {
        assertEquals(List.of(), DnsjavaResolver.INSTANCE.lookup(dns("nothing.test"), server, TIMEOUT));
    }

    @Test
    void aServerThatNeverAnswersFailsWithinTheTimeout() throws Exception {
        // a bound UDP socket that reads nothing: the queries go unanswered, no ICMP error cuts it short
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Discovery.Nameserver mute = new Discovery.Nameserver("127.0.0.1", silent.getLocalPort());
            IOException e = assertThrows(IOException.class, () -> DnsjavaResolver.INSTANCE.lookup(dns("backend.test"), mute, Duration.ofMillis(300)));
            assertEquals(true, e.getMessage() != null && !e.getMessage().isBlank(), "a reason for the log: " + e);
        }
    }
}
