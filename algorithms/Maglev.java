package algorithms;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Consistent hashing with a Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable
 * Software Network Load Balancer", NSDI 2016, section 3.4): a client key always maps to the same
 * endpoint while the set of endpoints stays the same, and when one endpoint goes or comes back only
 * about its share of the keys move.
 *
 * <p>Why Maglev and not a hash ring: the lookup is one array read, the shares are even to within a
 * slot (no virtual nodes to tune), and weights are just more turns in the fill. Why not
 * {@code hash mod N}: that moves about {@code (N-1)/N} of all keys when {@code N} changes.
 *
 * <p>The table has {@code M} slots, {@code M} the smallest prime above {@code 100 * size()} and at
 * least 65,537 (the paper's own size), so that every endpoint owns 100 slots or more and the
 * shares are within 1 % of the weights. The floor matters for disruption: with a table only about
 * 100 N large, an endpoint going down moved ~3 % of the <em>other</em> endpoints' keys too; at
 * 65,537 it is a few tenths of a percent, and a reload that adds or removes an endpoint keeps
 * {@code M} (up to 655 endpoints), so only about 1/N of the keys move then as well. Each eligible endpoint has a preference list, a permutation of the slots:
 * {@code (offset + j * skip) mod M} with {@code offset = h1(name) mod M} and
 * {@code skip = h2(name) mod (M-1) + 1} (every skip is coprime to a prime {@code M}, so the list
 * visits every slot). The endpoints then take turns, each claiming its next preferred empty slot,
 * until the table is full; an endpoint of weight {@code w} (divided by the weights' gcd) takes
 * {@code w} turns per round. A pick reads {@code table[mix(clientKey) mod M]}.
 *
 * <p>The table depends only on the eligible endpoints' names and weights: the endpoints take their
 * turns in the order of their names, not of their indices, so a reload that lists the same
 * endpoints in another order keeps every key where it was. It is rebuilt, lazily at the next pick,
 * when the weights (size, and each endpoint's weight if eligible, else 0) differ from the ones it
 * was built for; comparing costs one pass over the endpoints, as every other algorithm's pick does. The table before is kept too, so that a retry, which hides one endpoint for one pick, does
 * not cost two builds; a build reuses the arrays of the table it replaces unless {@code size()}
 * changed. Because the table is a function of the sorted set of names and weights, N featherlb
 * instances with the same endpoints give every client the same endpoint, however each lists them
 * (or a DNS answer orders them); {@link #fingerprint} lets an operator check that they do.
 *
 * <p>Memory: 4 bytes a slot, two tables per instance: 512 KiB for a route of up to 655 endpoints.
 */
public final class Maglev implements Algorithm {
    private static final int[] NONE = {};
    private static final int EMPTY = -1;
    private static final int MIN_TABLE = 65_537; // prime

    /**
     * A lookup table and the weights it was built for. Two are kept, the one in use and the one
     * before it, because a retry marks the endpoint already tried as unavailable for one pick: the
     * table without it and the table with it then alternate, and each is built once, not twice per
     * retry.
     */
    private static final class Built {
        /** Endpoint index per slot; all {@link #EMPTY} when no endpoint is eligible. */
        int[] table = NONE;
        /** Per endpoint, its weight if eligible, else 0; {@code null} until built. */
        int[] weights;
        boolean anyEligible;
        /** {@link #fingerprint} of this table, computed when first asked; reset by a build. */
        long fingerprint;
        boolean fingerprinted;

        boolean matches(Candidates candidates) {
            int n = candidates.size();
            if (weights == null || weights.length != n) return false;
            for (int i = 0; i < n; i++) {
                if (weights[i] != candidates.eligibleWeight(i)) return false;
            }
            return true;
        }
    }

    private Built current = new Built(), previous = new Built();
    // scratch for a build, kept to avoid reallocating when only availability or weights change
    private int[] order = NONE, turns = NONE, nextSlot = NONE, skip = NONE;

    @Override
    public int pick(Candidates candidates, long clientKey) {
        if (!current.matches(candidates)) update(candidates);
        if (!current.anyEligible) return -1;
        int[] table = current.table;
        return table[(int) Long.remainderUnsigned(mix(clientKey), table.length)];
    }

    /** A copy of the lookup table for {@code candidates}, for tests and diagnostics. */
    int[] lookupTable(Candidates candidates) {
        if (!current.matches(candidates)) update(candidates);
        return current.table.clone();
    }

    /**
     * A fingerprint of the lookup table for {@code candidates}: equal on two featherlb instances
     * exactly when their tables send every client key to the endpoint of the same name, whatever
     * the order (the indices) of their endpoints. It folds each slot's endpoint <em>name</em> (not
     * index) in slot order, so it is a check of the whole table, not of its inputs: two versions
     * whose builds differ would show it. 48 bits, so that a Prometheus gauge (a double) holds it
     * exactly; 0 when no endpoint is eligible. Computed once per table (one pass over its 65,537+
     * slots, about a tenth of a millisecond), not per pick.
     */
    public long fingerprint(Candidates candidates) {
        if (!current.matches(candidates)) update(candidates);
        Built built = current;
        if (!built.fingerprinted) {
            built.fingerprint = built.anyEligible ? fold(candidates, built.table) : 0;
            built.fingerprinted = true;
        }
        return built.fingerprint;
    }

    private static long fold(Candidates candidates, int[] table) {
        long[] names = new long[candidates.size()];
        for (int i = 0; i < names.length; i++) names[i] = fmix64(fnv1a(candidates.name(i)));
        long h = table.length;
        for (int slot : table) h = (h ^ names[slot]) * 0x100000001b3L;
        long folded = fmix64(h) >>> 16;
        return folded == 0 ? 1 : folded; // 0 is kept for "no table"
    }

    /** Makes {@link #current} match {@code candidates}: the previous table if it does, else a new
     * build into the previous table's arrays. */
    private void update(Candidates candidates) {
        Built t = previous;
        previous = current;
        current = t;
        if (!current.matches(candidates)) build(candidates, current);
    }

    private void build(Candidates candidates, Built into) {
        int n = candidates.size();
        if (into.weights == null || into.weights.length != n) {
            into.weights = new int[n];
            into.table = new int[tableSize(n)];
        }
        if (order.length != n) {
            order = new int[n];
            turns = new int[n];
            nextSlot = new int[n];
            skip = new int[n];
        }
        into.fingerprinted = false;
        int[] builtWeights = into.weights, table = into.table;
        int m = table.length;
        int k = 0, gcd = 0;
        for (int i = 0; i < n; i++) {
            builtWeights[i] = candidates.eligibleWeight(i);
            if (builtWeights[i] > 0) {
                order[k++] = i;
                gcd = gcd(gcd, builtWeights[i]);
            }
        }
        into.anyEligible = k > 0;
        Arrays.fill(table, EMPTY);
        if (k == 0) return;
        sortByName(candidates, order, k);
        for (int e = 0; e < k; e++) {
            int i = order[e];
            long h = fnv1a(candidates.name(i));
            nextSlot[e] = (int) Long.remainderUnsigned(fmix64(h), m);
            skip[e] = (int) Long.remainderUnsigned(splitmix64(h), m - 1) + 1;
            // dividing by the gcd keeps rounds short, so weights 100/200 fill as finely as 1/2
            turns[e] = builtWeights[i] / gcd;
        }
        for (int filled = 0; ; ) {
            for (int e = 0; e < k; e++) {
                for (int t = 0; t < turns[e]; t++) {
                    int s = nextSlot[e];
                    while (table[s] != EMPTY) s = next(s, skip[e], m);
                    table[s] = order[e];
                    nextSlot[e] = next(s, skip[e], m);
                    if (++filled == m) return;
                }
            }
        }
    }

    private static int next(int s, int skip, int m) {
        int t = s + skip; // both < m <= 2^30, so no overflow
        return t >= m ? t - m : t;
    }

    /** The smallest prime above {@code 100 * n}, and at least 65,537. */
    static int tableSize(int n) {
        long m = Math.max(MIN_TABLE, 100L * n + 1);
        while (!isPrime(m)) m++;
        if (m > 1 << 30) throw new IllegalArgumentException("too many endpoints for a Maglev table: " + n);
        return (int) m;
    }

    private static boolean isPrime(long m) {
        if (m < 2) return false;
        if (m % 2 == 0) return m == 2;
        for (long d = 3; d * d <= m; d += 2) {
            if (m % d == 0) return false;
        }
        return true;
    }

    /** Insertion sort of {@code order[0..k)} by name, then index: endpoints are few and a build is
     * rare, and this needs neither boxing nor a comparator object. */
    private static void sortByName(Candidates candidates, int[] order, int k) {
        for (int a = 1; a < k; a++) {
            int x = order[a];
            String name = candidates.name(x);
            int b = a - 1;
            while (b >= 0) {
                int c = candidates.name(order[b]).compareTo(name);
                if (c < 0 || (c == 0 && order[b] < x)) break;
                order[b + 1] = order[b];
                b--;
            }
            order[b + 1] = x;
        }
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** 64-bit FNV-1a over the name's UTF-8 bytes: simple and stable across JVMs and releases,
     * unlike {@code String.hashCode}, which is only 32 bits and weak in the low bits. */
    static long fnv1a(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** MurmurHash3's 64-bit finalizer. FNV-1a avalanches poorly (a multiply carries a difference
     * only towards the higher bits), and names such as {@code 10.0.0.1:80} and {@code 10.0.0.2:80}
     * differ in one character; this spreads every input bit over the whole output. */
    static long fmix64(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** SplitMix64's output function (Stafford's mix 13) after adding the golden gamma: a second
     * bijective mixer with other constants, so that {@code skip} is independent of {@code offset}. */
    static long splitmix64(long h) {
        h += 0x9e3779b97f4a7c15L;
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    /** The client key is a hash of an address we did not write; mix it again so that keys that
     * differ only in a few bits (neighbouring addresses) land on unrelated slots. */
    static long mix(long clientKey) {
        return fmix64(clientKey);
    }
}
