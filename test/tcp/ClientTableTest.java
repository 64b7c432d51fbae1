package tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tcp.ClientTable.Admission.ADMITTED;
import static tcp.ClientTable.Admission.OVER_CONNECTIONS;
import static tcp.ClientTable.Admission.OVER_RATE;
import static tcp.ClientTable.Admission.UNTRACKED;

import config.PerClient;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import testing.ManualTicker;

/** The per_client counts, with time moved by hand: exact limits, and a table that stays bounded. */
class ClientTableTest {
    private final ManualTicker ticker = new ManualTicker();
    private final ClientTable table = new ClientTable(ticker);

    private static InetAddress address(int n) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {10, (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    }

    @Test
    void maxConnectionsCountsWhatIsOpenPerAddress() throws Exception {
        PerClient limits = new PerClient(2, null);
        InetAddress a = address(1), b = address(2);
        assertEquals(ADMITTED, table.admit(a, limits));
        assertEquals(ADMITTED, table.admit(a, limits));
        assertEquals(OVER_CONNECTIONS, table.admit(a, limits), "a third at once from the same address");
        assertEquals(ADMITTED, table.admit(b, limits), "another address has its own count");
        table.release(a);
        assertEquals(ADMITTED, table.admit(a, limits), "one ended: room for one");
        assertEquals(OVER_CONNECTIONS, table.admit(a, limits));
        table.release(a);
        table.release(a);
        table.release(b);
        assertEquals(0, table.size(), "nothing open and no rate: forgotten at once");
    }

    @Test
    void maxRateIsABurstOfNThenOneEveryPeriodOverN() throws Exception {
        PerClient limits = new PerClient(0, PerClient.Rate.parse("5/s"));
        InetAddress a = address(1);
        for (int i = 0; i < 5; i++) {
            assertEquals(ADMITTED, table.admit(a, limits), "connection " + (i + 1) + " of the burst");
            table.release(a);
        }
        assertEquals(OVER_RATE, table.admit(a, limits), "the sixth in the same instant");
        assertEquals(OVER_RATE, table.admit(a, limits), "a refusal takes no token, and gives none");
        ticker.advance(Duration.ofMillis(199));
        assertEquals(OVER_RATE, table.admit(a, limits));
        ticker.advance(Duration.ofMillis(1));
        assertEquals(ADMITTED, table.admit(a, limits), "a fifth of a second later: one more");
        table.release(a);
        assertEquals(OVER_RATE, table.admit(a, limits));
        assertEquals(ADMITTED, table.admit(address(2), limits), "another address has its own bucket");
        table.release(address(2));
        ticker.advance(Duration.ofSeconds(1));
        for (int i = 0; i < 5; i++) {
            assertEquals(ADMITTED, table.admit(a, limits), "a second of quiet fills the bucket again");
            table.release(a);
        }
        assertEquals(OVER_RATE, table.admit(a, limits));
    }

    @Test
    void bothLimitsTogether() throws Exception {
        PerClient limits = new PerClient(1, PerClient.Rate.parse("2/m"));
        InetAddress a = address(1);
        assertEquals(ADMITTED, table.admit(a, limits));
        assertEquals(OVER_CONNECTIONS, table.admit(a, limits), "one open at once");
        table.release(a);
        assertEquals(ADMITTED, table.admit(a, limits));
        table.release(a);
        assertEquals(OVER_RATE, table.admit(a, limits), "two a minute");
        ticker.advance(Duration.ofSeconds(30));
        assertEquals(ADMITTED, table.admit(a, limits));
    }

    @Test
    void aHundredThousandAddressesOnceEachDoNotGrowTheTable() throws Exception {
        PerClient connections = new PerClient(20, null);
        for (int n = 0; n < 100_000; n++) {
            assertEquals(ADMITTED, table.admit(address(n), connections));
            table.release(address(n));
        }
        assertEquals(0, table.size(), "connection counts only: an address is forgotten when its last connection ends");

        PerClient rate = new PerClient(20, PerClient.Rate.parse("50/s"));
        for (int n = 0; n < 100_000; n++) {
            assertEquals(ADMITTED, table.admit(address(n), rate));
            table.release(address(n));
            if (n % 1000 == 999) ticker.advance(Duration.ofMillis(100));
        }
        assertTrue(table.size() <= 2 * 1000, "rates expire: the addresses of the last 0.1 s or so are kept, not all: " + table.size());

        for (int n = 0; n < 100_000; n++) { // in one instant: nothing expires, the bound holds
            assertEquals(ADMITTED, table.admit(address(n), rate));
            table.release(address(n));
        }
        assertEquals(ClientTable.MAX_CLIENTS, table.size(), "at most MAX_CLIENTS kept");
    }

    @Test
    void aTableFullOfOpenConnectionsAdmitsNewcomersUntracked() throws Exception {
        PerClient limits = new PerClient(1, null);
        for (int n = 0; n < ClientTable.MAX_CLIENTS; n++) assertEquals(ADMITTED, table.admit(address(n), limits));
        assertEquals(UNTRACKED, table.admit(address(ClientTable.MAX_CLIENTS), limits), "full of clients with connections open");
        assertEquals(OVER_CONNECTIONS, table.admit(address(0), limits), "the ones kept are still limited");
        table.release(address(0));
        assertEquals(ADMITTED, table.admit(address(ClientTable.MAX_CLIENTS + 1), limits));
        assertEquals(ClientTable.MAX_CLIENTS, table.size());
    }
}
