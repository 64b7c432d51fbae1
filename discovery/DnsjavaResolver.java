package discovery;

import config.Discovery;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupFailedException;
import org.xbill.DNS.lookup.LookupResult;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;

/**
 * {@link Resolver} by dnsjava: each lookup is a new {@link LookupSession} without a cache (dnsjava
 * caches unless given one; here every interval must ask the server again, whatever the TTLs), over
 * UDP with TCP on truncation, following CNAMEs. No {@link java.net.InetAddress} lookup happens, so
 * the JVM's own cache is never in the way either. The system's resolvers, search list and
 * {@code ndots} come from /etc/resolv.conf, read again at each lookup (a container's can change).
 */
public final class DnsjavaResolver implements Resolver {
    public static final DnsjavaResolver INSTANCE = new DnsjavaResolver();

    private DnsjavaResolver() {
    }

    @Override
    public List<Found> lookup(Discovery.Source source, Discovery.Nameserver nameserver, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        LookupSession session = session(nameserver, timeout);
        Name name = name(source.name());
        if (source.kind() == Discovery.Kind.DNS) return addresses(session, name, 0, 0, 0, deadline);
        List<Found> found = new ArrayList<>();
        for (Record r : records(session, name, Type.SRV, deadline)) {
            SRVRecord srv = (SRVRecord) r;
            if (srv.getTarget().equals(Name.root)) continue; // "." : the service is decidedly not available there (RFC 2782)
            found.addAll(addresses(session, srv.getTarget(), srv.getPort(), srv.getPriority(), srv.getWeight(), deadline));
        }
        return found;
    }

    private static List<Found> addresses(LookupSession session, Name name, int port, int priority, int weight, long deadline)
            throws IOException, InterruptedException {
        List<Found> found = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            for (Record r : records(session, name, type, deadline)) {
                String address = switch (r) {
                    case ARecord a -> a.getAddress().getHostAddress();
                    case AAAARecord aaaa -> aaaa.getAddress().getHostAddress();
                    default -> null;
                };
                if (address != null) found.add(new Found(address, port, priority, weight));
            }
        }
        return found;
    }

    /** The records of one type; none for NXDOMAIN and NODATA; an IOException for no answer. */
    private static List<Record> records(LookupSession session, Name name, int type, long deadline) throws IOException, InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new IOException("no answer in time");
        try {
            LookupResult result = session.lookupAsync(name, type).toCompletableFuture().get(left, TimeUnit.NANOSECONDS);
            return result.getRecords();
        } catch (TimeoutException e) {
            throw new IOException("no answer in time");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NoSuchDomainException || cause instanceof NoSuchRRSetException) return List.of();
            if (cause instanceof LookupFailedException || cause instanceof IOException) {
                throw new IOException(Type.string(type) + " " + name + ": " + cause.getMessage(), cause);
            }
            throw new IOException(Type.string(type) + " " + name + ": " + cause, cause);
        }
    }

    private static LookupSession session(Discovery.Nameserver nameserver, Duration timeout) throws IOException {
        LookupSession.LookupSessionBuilder builder = LookupSession.builder();
        if (nameserver != null) {
            SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(java.net.InetAddress.ofLiteral(nameserver.address()), nameserver.port()));
            resolver.setTimeout(timeout);
            builder.resolver(resolver).clearSearchPath();
        } else {
            ResolverConfig.refresh();
            ResolverConfig system = ResolverConfig.getCurrentConfig();
            ExtendedResolver resolver = new ExtendedResolver(system.servers().stream().<org.xbill.DNS.Resolver>map(SimpleResolver::new).toList());
            resolver.setTimeout(timeout);
            builder.resolver(resolver).searchPath(system.searchPath()).ndots(system.ndots());
        }
        return builder.build(); // no cache(...): none
    }

    private static Name name(String text) throws IOException {
        try {
            return Name.fromString(text);
        } catch (TextParseException e) {
            throw new IOException("'" + text + "' is not a DNS name: " + e.getMessage(), e);
        }
    }
}
