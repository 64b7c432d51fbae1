package bench;

import java.util.List;

/** Median and spread of repeated measurements: the only summary the report gives. */
record Stats(double median, double min, double max, int n) {
    static Stats of(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) return new Stats(Double.NaN, Double.NaN, Double.NaN, 0);
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return new Stats(median, v[0], v[v.length - 1], v.length);
    }

    /** Half the range, as a share of the median: "±7 %". */
    double spread() {
        return n < 2 || median == 0 ? 0 : (max - min) / 2 / Math.abs(median);
    }

    boolean present() {
        return n > 0;
    }

}
