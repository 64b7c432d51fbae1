package algorithms;

import java.util.StringJoiner;

/**
 * A route's endpoints as plain mutable arrays, for tests: set a weight, an availability or an
 * active count by writing the array. Reading allocates nothing, so it also serves the allocation
 * test.
 */
final class FakeCandidates implements Candidates {
    final String[] names;
    final int[] weights;
    final boolean[] available;
    final int[] active;

    /** All available, no connections open. */
    FakeCandidates(String[] names, int[] weights) {
        if (names.length != weights.length) throw new IllegalArgumentException("names and weights differ in length");
        this.names = names.clone();
        this.weights = weights.clone();
        this.available = new boolean[names.length];
        this.active = new int[names.length];
        java.util.Arrays.fill(available, true);
    }

    /** Endpoints named {@code a}, {@code b}, {@code c}, ... with these weights. */
    static FakeCandidates letters(int... weights) {
        String[] names = new String[weights.length];
        for (int i = 0; i < names.length; i++) names[i] = String.valueOf((char) ('a' + i));
        return new FakeCandidates(names, weights);
    }

    /** Endpoints named {@code 10.0.<i/250>.<i%250+1>:8080}, like a real route's, with these weights. */
    static FakeCandidates hosts(int... weights) {
        String[] names = new String[weights.length];
        for (int i = 0; i < names.length; i++) names[i] = host(i);
        return new FakeCandidates(names, weights);
    }

    /** {@code n} endpoints named as in {@link #hosts}, all of weight 1. */
    static FakeCandidates equal(int n) {
        int[] weights = new int[n];
        java.util.Arrays.fill(weights, 1);
        return hosts(weights);
    }

    static String host(int i) {
        return "10.0." + i / 250 + "." + (i % 250 + 1) + ":8080";
    }

    @Override public int size() { return names.length; }
    @Override public String name(int i) { return names[i]; }
    @Override public int weight(int i) { return weights[i]; }
    @Override public boolean available(int i) { return available[i]; }
    @Override public int active(int i) { return active[i]; }

    /** How many of {@code picks} picks went to each endpoint; fails on -1. */
    int[] counts(Algorithm algorithm, int picks) {
        int[] counts = new int[size()];
        for (int p = 0; p < picks; p++) counts[pickOne(algorithm, p)]++;
        return counts;
    }

    /** The names picked, joined by spaces, e.g. {@code "a a b a c a a"}. */
    String sequence(Algorithm algorithm, int picks) {
        StringJoiner joined = new StringJoiner(" ");
        for (int p = 0; p < picks; p++) joined.add(names[pickOne(algorithm, p)]);
        return joined.toString();
    }

    /** Picks and opens a connection to the endpoint picked, as the proxy does; returns the index. */
    int open(Algorithm algorithm) {
        int i = pickOne(algorithm, 0);
        active[i]++;
        return i;
    }

    private int pickOne(Algorithm algorithm, long clientKey) {
        int i = algorithm.pick(this, clientKey);
        if (i < 0 || i >= size() || !eligible(i)) throw new AssertionError("picked " + i + ", which is not eligible");
        return i;
    }
}
